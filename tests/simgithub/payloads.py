"""JSON shaping for the simulated GitHub: the REST and webhook representations of users,
repositories, installations, pull requests, issues, reviews, check runs/suites, statuses,
org/team memberships, commits (compare, push), deployments and workflow runs.

Only fields the contract (shared/reference/github-contract.md §2, §4) names, plus a few
URLs. Callers hold the SimGitHub lock. It never mutates state.
"""
import hashlib

from . import graph
from .model import Issue, iso, user_id

API = "https://api.github.com"   # only used inside url fields; clients must not follow them


def user(login, type_="User"):
    return {"login": login, "id": user_id(login), "node_id": f"U_{user_id(login)}", "type": type_,
            "site_admin": False}


def repo(sim, r):
    owner_type = "Organization"
    inst = sim._installations.get(r.installation_id) if r.installation_id else None
    if inst is not None:
        owner_type = inst.account_type
    own = user(r.owner, owner_type)
    return {
        "id": r.id, "node_id": f"R_{r.id}", "name": r.name, "full_name": r.full_name, "owner": own,
        "private": r.private, "archived": r.archived, "disabled": False, "fork": r.fork,
        "default_branch": r.default_branch, "allow_auto_merge": r.allow_auto_merge,
        "visibility": "private" if r.private else "public", "topics": [], "custom_properties": {},
        "has_issues": r.has_issues,
        "html_url": f"https://github.com/{r.full_name}", "url": f"{API}/repos/{r.full_name}",
    }


def fork_repo(sim, r, fork_owner):
    out = repo(sim, r)
    out.update({"id": r.id + 50_000_000, "node_id": f"R_{r.id + 50_000_000}",
                "full_name": f"{fork_owner}/{r.name}", "owner": user(fork_owner), "fork": True,
                "html_url": f"https://github.com/{fork_owner}/{r.name}",
                "url": f"{API}/repos/{fork_owner}/{r.name}"})
    return out


def installation_small(inst_id):
    return {"id": inst_id, "node_id": f"MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{inst_id}"}


def installation(sim, inst):
    return {
        "id": inst.id, "node_id": installation_small(inst.id)["node_id"],
        "account": user(inst.account, inst.account_type), "app_id": sim.app_id, "app_slug": sim.app_slug,
        "target_type": inst.account_type, "repository_selection": "selected",
        "permissions": dict(sim.app_permissions), "events": list(sim.app_events),
        "suspended_at": None, "access_tokens_url": f"{API}/app/installations/{inst.id}/access_tokens",
    }


def label(name):
    return {"id": user_id("label:" + name), "name": name, "color": "ededed", "default": False,
            "description": None}


def _ref(sim, r, pr, side):
    if side == "head":
        ref, sha = pr.head_ref, pr.head_sha
        rj = fork_repo(sim, r, pr.fork_owner) if pr.fork else repo(sim, r)
        owner = pr.fork_owner if pr.fork else r.owner
    else:
        ref, sha, rj, owner = pr.base_ref, pr.base_sha, repo(sim, r), r.owner
    return {"label": f"{owner}:{ref}", "ref": ref, "sha": sha, "user": user(owner), "repo": rj}


def pull_request(sim, r, pr, mergeable=None, mergeable_state="unknown"):
    return {
        "url": f"{API}/repos/{r.full_name}/pulls/{pr.number}", "id": pr.id, "node_id": pr.node_id,
        "html_url": f"https://github.com/{r.full_name}/pull/{pr.number}", "number": pr.number,
        "state": pr.state, "locked": False, "title": pr.title, "body": pr.body,
        "user": user(pr.author, pr.author_type), "labels": [label(n) for n in pr.labels],
        "draft": pr.draft, "merged": pr.merged, "merged_at": iso(pr.merged_at),
        "merged_by": user(*pr.merged_by) if pr.merged_by else None,
        "merge_commit_sha": pr.merge_commit_sha, "mergeable": mergeable, "mergeable_state": mergeable_state,
        "rebaseable": mergeable, "head": _ref(sim, r, pr, "head"), "base": _ref(sim, r, pr, "base"),
        "author_association": "COLLABORATOR" if pr.author in r.collaborators else "CONTRIBUTOR",
        "auto_merge": pr.auto_merge, "created_at": iso(pr.created_at), "updated_at": iso(pr.updated_at),
        "closed_at": iso(pr.closed_at), "commits": 1, "additions": 1, "deletions": 1, "changed_files": 1,
    }


def pr_ref_small(sim, r, pr):
    """The short form used in check_run.pull_requests[]."""
    return {"id": pr.id, "number": pr.number, "url": f"{API}/repos/{r.full_name}/pulls/{pr.number}",
            "head": {"ref": pr.head_ref, "sha": pr.head_sha,
                     "repo": {"id": r.id, "name": r.name, "url": f"{API}/repos/{r.full_name}"}},
            "base": {"ref": pr.base_ref, "sha": pr.base_sha,
                     "repo": {"id": r.id, "name": r.name, "url": f"{API}/repos/{r.full_name}"}}}


def check_pull_requests(sim, r, head_branch):
    """Open same-repo PRs whose head branch matches; empty for fork heads (head_branch None)."""
    if head_branch is None:
        return []
    return [pr_ref_small(sim, r, pr) for pr in sorted(r.prs.values(), key=lambda p: p.number)
            if pr.state == "open" and not pr.fork and pr.head_ref == head_branch]


def app(sim, app_id, slug):
    return {"id": app_id, "slug": slug, "node_id": f"A_{app_id}", "name": slug,
            "owner": user(sim.app_owner, "Organization")}


def check_run(sim, r, run):
    return {
        "id": run.id, "node_id": f"CR_{run.id}", "name": run.name, "head_sha": run.head_sha,
        "external_id": run.external_id, "url": f"{API}/repos/{r.full_name}/check-runs/{run.id}",
        "html_url": f"https://github.com/{r.full_name}/runs/{run.id}", "details_url": run.details_url,
        "status": run.status, "conclusion": run.conclusion, "started_at": iso(run.started_at),
        "completed_at": iso(run.completed_at),
        "output": dict(run.output or {"title": None, "summary": None, "text": None, "annotations_count": 0},
                       annotations_url=f"{API}/repos/{r.full_name}/check-runs/{run.id}/annotations"),
        "app": app(sim, run.app_id, run.app_slug),
        "check_suite": {"id": run.suite_id, "head_branch": run.head_branch, "head_sha": run.head_sha},
        "pull_requests": check_pull_requests(sim, r, run.head_branch),
    }


def check_suite(sim, r, suite_id, runs):
    first = runs[0]
    done = all(x.status == "completed" for x in runs)
    conclusion = None
    if done:
        concl = {x.conclusion for x in runs}
        conclusion = "success"
        for c in ("failure", "timed_out", "cancelled", "action_required", "neutral"):
            if c in concl:
                conclusion = c
                break
    return {"id": suite_id, "node_id": f"CS_{suite_id}", "head_branch": first.head_branch,
            "head_sha": first.head_sha, "status": "completed" if done else "in_progress",
            "conclusion": conclusion, "before": None, "after": first.head_sha,
            "app": app(sim, first.app_id, first.app_slug),
            "pull_requests": check_pull_requests(sim, r, first.head_branch),
            "latest_check_runs_count": len(runs)}


def status(sim, r, st):
    return {"id": st.id, "node_id": f"SC_{st.id}", "state": st.state, "context": st.context,
            "description": st.description, "target_url": st.target_url, "creator": user(st.creator),
            "created_at": iso(st.created_at), "updated_at": iso(st.created_at),
            "url": f"{API}/repos/{r.full_name}/statuses/{st.sha}", "avatar_url": None}


def status_event(sim, r, st):
    """`branches`: at most 10 branches whose history contains the sha (its head or not), by name."""
    branches = [{"name": b, "commit": {"sha": r.branches[b]}, "protected": b in r.protection}
                for b in graph.branches_containing(r, st.sha)][:10]
    return {"id": st.id, "sha": st.sha, "name": r.full_name, "context": st.context, "state": st.state,
            "description": st.description, "target_url": st.target_url, "branches": branches,
            "commit": {"sha": st.sha, "commit": {"message": "commit"}}, "created_at": iso(st.created_at),
            "updated_at": iso(st.created_at)}


def comment(sim, r, c):
    return {"id": c.id, "node_id": f"IC_{c.id}", "body": c.body, "user": user(c.user, c.user_type),
            "author_association": "COLLABORATOR" if c.user in r.collaborators else "NONE",
            "created_at": iso(c.created_at), "updated_at": iso(c.created_at),
            "html_url": f"https://github.com/{r.full_name}/{'issues' if c.number in r.issues else 'pull'}/"
                        f"{c.number}#issuecomment-{c.id}",
            "performed_via_github_app": app(sim, sim.app_id, sim.app_slug) if c.user_type == "Bot" else None}


def association(sim, r, login):
    """author_association of `login` in repo `r` (OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR or NONE)."""
    if login.lower() == r.owner.lower():
        return "OWNER"
    if sim._org_role(r.owner, login) is not None:
        return "MEMBER"
    if login in r.collaborators:
        return "COLLABORATOR"
    if any(p.author == login and p.merged for p in r.prs.values()):
        return "CONTRIBUTOR"
    return "NONE"


def _issue_common(sim, r, number, comments_n):
    base = f"{API}/repos/{r.full_name}/issues/{number}"
    return {"url": base, "repository_url": f"{API}/repos/{r.full_name}", "labels_url": base + "/labels{/name}",
            "comments_url": base + "/comments", "events_url": base + "/events", "number": number,
            "locked": False, "active_lock_reason": None, "milestone": None, "comments": comments_n}


def issue(sim, r, iss):
    """A plain issue as the REST issues API and the issues/issue_comment webhooks show it."""
    out = _issue_common(sim, r, iss.number, sum(1 for c in r.comments if c.number == iss.number))
    out.update({
        "id": iss.id, "node_id": iss.node_id, "html_url": f"https://github.com/{r.full_name}/issues/{iss.number}",
        "title": iss.title, "body": iss.body, "user": user(iss.author, iss.author_type),
        "labels": [label(n) for n in iss.labels], "state": iss.state, "state_reason": iss.state_reason,
        "assignee": user(iss.assignees[0]) if iss.assignees else None,
        "assignees": [user(a) for a in iss.assignees], "author_association": association(sim, r, iss.author),
        "created_at": iso(iss.created_at), "updated_at": iso(iss.updated_at), "closed_at": iso(iss.closed_at),
        "closed_by": user(*iss.closed_by) if iss.closed_by else None,
        "performed_via_github_app": app(sim, sim.app_id, sim.app_slug) if iss.via_app else None,
    })
    return out


def issue_for_pr(sim, r, pr):
    """A PR as the issues API (and issue_comment webhooks) show it: with a `pull_request` key."""
    out = _issue_common(sim, r, pr.number, sum(1 for c in r.comments if c.number == pr.number))
    out.update({
        "id": pr.id + 1, "node_id": pr.node_id, "html_url": f"https://github.com/{r.full_name}/pull/{pr.number}",
        "title": pr.title, "body": pr.body, "user": user(pr.author, pr.author_type),
        "labels": [label(n) for n in pr.labels], "state": pr.state, "state_reason": None,
        "assignee": None, "assignees": [], "draft": pr.draft,
        "author_association": "COLLABORATOR" if pr.author in r.collaborators else "CONTRIBUTOR",
        "created_at": iso(pr.created_at), "updated_at": iso(pr.updated_at), "closed_at": iso(pr.closed_at),
        "performed_via_github_app": None,
        "pull_request": {"url": f"{API}/repos/{r.full_name}/pulls/{pr.number}",
                         "html_url": f"https://github.com/{r.full_name}/pull/{pr.number}",
                         "diff_url": f"https://github.com/{r.full_name}/pull/{pr.number}.diff",
                         "patch_url": f"https://github.com/{r.full_name}/pull/{pr.number}.patch",
                         "merged_at": iso(pr.merged_at)},
    })
    return out


def issue_any(sim, r, item):
    """issue() for an Issue, issue_for_pr() for a PullRequest."""
    return issue(sim, r, item) if isinstance(item, Issue) else issue_for_pr(sim, r, item)


def review(sim, r, rv, webhook=False):
    """REST shape of a PR review; webhooks send `state` in lower case (REST: upper case)."""
    html = f"https://github.com/{r.full_name}/pull/{rv.number}"
    pr_url = f"{API}/repos/{r.full_name}/pulls/{rv.number}"
    return {"id": rv.id, "node_id": f"PRR_{rv.id}", "user": user(rv.user, rv.user_type), "body": rv.body,
            "state": rv.state.lower() if webhook else rv.state, "commit_id": rv.commit_id,
            "submitted_at": iso(rv.submitted_at), "author_association": association(sim, r, rv.user),
            "html_url": f"{html}#pullrequestreview-{rv.id}", "pull_request_url": pr_url,
            "_links": {"html": {"href": f"{html}#pullrequestreview-{rv.id}"}, "pull_request": {"href": pr_url}}}


def organization(org):
    oid = user(org)["id"]
    return {"login": org, "id": oid, "node_id": f"O_{org}", "url": f"{API}/orgs/{org}",
            "repos_url": f"{API}/orgs/{org}/repos", "members_url": f"{API}/orgs/{org}/members{{/member}}",
            "description": None}


def team(t):
    org = t["org"]
    return {"id": t["id"], "node_id": f"T_{t['id']}", "slug": t["slug"], "name": t["name"], "description": None,
            "privacy": "closed", "notification_setting": "notifications_enabled", "permission": "pull",
            "parent": None, "url": f"{API}/organizations/{user(org)['id']}/team/{t['id']}",
            "html_url": f"https://github.com/orgs/{org}/teams/{t['slug']}",
            "members_url": f"{API}/organizations/{user(org)['id']}/team/{t['id']}/members{{/member}}",
            "repositories_url": f"{API}/organizations/{user(org)['id']}/team/{t['id']}/repos"}


def team_membership(t, login, role, state):
    return {"url": f"{API}/organizations/{user(t['org'])['id']}/team/{t['id']}/memberships/{login}",
            "role": role, "state": state}


def org_membership(org, login, role, state="active"):
    return {"url": f"{API}/orgs/{org}/memberships/{login}", "state": state, "role": role,
            "organization_url": f"{API}/orgs/{org}", "organization": organization(org), "user": user(login)}


# ---- commits, deployments, workflow runs ----------------------------------------------------

def _tree(sha):
    return hashlib.sha1(("tree:" + sha).encode()).hexdigest()


def _who(login):
    if login == "web-flow":
        return {"name": "GitHub", "email": "noreply@github.com"}
    return {"name": login, "email": f"{login}@users.noreply.github.com"}


def _user_of(login):
    return user(login, "Bot" if login.endswith("[bot]") else "User")


def commit(sim, r, c):
    """A commit as compare / GET commits/{sha} show it."""
    base = f"{API}/repos/{r.full_name}"
    when = iso(c.created_at)
    return {
        "sha": c.sha, "node_id": f"C_{c.sha}", "url": f"{base}/commits/{c.sha}",
        "html_url": f"https://github.com/{r.full_name}/commit/{c.sha}",
        "comments_url": f"{base}/commits/{c.sha}/comments",
        "commit": {"url": f"{base}/git/commits/{c.sha}", "author": dict(_who(c.author), date=when),
                   "committer": dict(_who(c.committer), date=when), "message": c.message,
                   "tree": {"sha": _tree(c.sha), "url": f"{base}/git/trees/{_tree(c.sha)}"}, "comment_count": 0,
                   "verification": {"verified": c.committer == "web-flow",
                                    "reason": "valid" if c.committer == "web-flow" else "unsigned",
                                    "signature": None, "payload": None, "verified_at": None}},
        "author": _user_of(c.author), "committer": _user_of(c.committer),
        "parents": [{"sha": p, "url": f"{base}/commits/{p}", "html_url": f"https://github.com/{r.full_name}/commit/{p}"}
                    for p in c.parents],
    }


def push_commit(r, c, distinct=True):
    """A commit as the push event's commits[] / head_commit show it."""
    author = dict(_who(c.author), username=c.author)
    committer = dict(_who(c.committer), username=c.committer)
    return {"id": c.sha, "tree_id": _tree(c.sha), "distinct": distinct, "message": c.message,
            "timestamp": iso(c.created_at), "url": f"https://github.com/{r.full_name}/commit/{c.sha}",
            "author": author, "committer": committer, "added": [], "removed": [], "modified": list(c.modified)}


def deployment(sim, r, d):
    base = f"{API}/repos/{r.full_name}"
    return {"url": f"{base}/deployments/{d.id}", "id": d.id, "node_id": f"DE_{d.id}", "sha": d.sha, "ref": d.ref,
            "task": d.task, "payload": dict(d.payload), "original_environment": d.original_environment,
            "environment": d.environment, "description": d.description, "creator": _user_of(d.creator),
            "created_at": iso(d.created_at), "updated_at": iso(d.updated_at),
            "statuses_url": f"{base}/deployments/{d.id}/statuses", "repository_url": base,
            "transient_environment": d.transient_environment, "production_environment": d.production_environment,
            "performed_via_github_app": None}


def deployment_status(sim, r, d, st):
    base = f"{API}/repos/{r.full_name}"
    return {"url": f"{base}/deployments/{d.id}/statuses/{st.id}", "id": st.id, "node_id": f"DES_{st.id}",
            "state": st.state, "creator": _user_of(st.creator), "description": st.description or "",
            "environment": st.environment, "target_url": st.target_url or "", "log_url": st.log_url or "",
            "environment_url": st.environment_url or "", "created_at": iso(st.created_at),
            "updated_at": iso(st.created_at), "deployment_url": f"{base}/deployments/{d.id}",
            "repository_url": base, "performed_via_github_app": None}


def workflow(sim, r, wf):
    base = f"{API}/repos/{r.full_name}"
    return {"id": wf["id"], "node_id": f"W_{wf['id']}", "name": wf["name"], "path": wf["path"], "state": "active",
            "created_at": iso(wf["created_at"]), "updated_at": iso(wf["created_at"]),
            "url": f"{base}/actions/workflows/{wf['id']}",
            "html_url": f"https://github.com/{r.full_name}/blob/{r.default_branch}/{wf['path']}",
            "badge_url": f"https://github.com/{r.full_name}/workflows/{wf['name']}/badge.svg"}


def workflow_run(sim, r, run):
    base = f"{API}/repos/{r.full_name}"
    c = r.graph.get(run.head_sha)
    head_commit = None
    if c is not None:
        head_commit = {"id": c.sha, "tree_id": _tree(c.sha), "message": c.message, "timestamp": iso(c.created_at),
                       "author": _who(c.author), "committer": _who(c.committer)}
    small = {"id": r.id, "node_id": f"R_{r.id}", "name": r.name, "full_name": r.full_name, "private": r.private,
             "owner": user(r.owner, "Organization"), "html_url": f"https://github.com/{r.full_name}", "url": base}
    prs = [] if run.event not in ("pull_request", "pull_request_target") else \
        [pr_ref_small(sim, r, pr) for pr in sorted(r.prs.values(), key=lambda p: p.number)
         if pr.state == "open" and not pr.fork and pr.head_sha == run.head_sha]
    url = f"{base}/actions/runs/{run.id}"
    return {
        "id": run.id, "name": run.name, "node_id": f"WFR_{run.id}", "head_branch": run.head_branch,
        "head_sha": run.head_sha, "path": run.path, "display_title": c.message.splitlines()[0] if c else run.name,
        "run_number": run.run_number, "event": run.event, "status": run.status, "conclusion": run.conclusion,
        "workflow_id": run.workflow_id, "check_suite_id": run.check_suite_id,
        "check_suite_node_id": f"CS_{run.check_suite_id}",
        "url": url, "html_url": run.html_url, "pull_requests": prs, "created_at": iso(run.created_at),
        "updated_at": iso(run.updated_at), "actor": _user_of(run.actor), "triggering_actor": _user_of(run.actor),
        "run_attempt": run.run_attempt, "referenced_workflows": [], "run_started_at": iso(run.run_started_at),
        "jobs_url": f"{url}/jobs", "logs_url": f"{url}/logs",
        "check_suite_url": f"{base}/check-suites/{run.check_suite_id}",
        "artifacts_url": f"{url}/artifacts", "cancel_url": f"{url}/cancel", "rerun_url": f"{url}/rerun",
        "previous_attempt_url": f"{url}/attempts/{run.run_attempt - 1}" if run.run_attempt > 1 else None,
        "workflow_url": f"{base}/actions/workflows/{run.workflow_id}", "head_commit": head_commit,
        "repository": small, "head_repository": small,
    }
