"""REST routes of the simulated GitHub: the App routes (JWT), the installation-token routes
fleetbot uses (pulls, checks, statuses, issues, comments, labels, reviews, org/team membership,
contents, commits and compare, deployments, Actions runs), shaped like GitHub's responses
(contract §3, §4), and the unauthenticated /ext/ files that stand for URLs outside GitHub.
Handlers run under the SimGitHub lock and return Response objects or raise ApiError.

Not here: GraphQL, manifest conversion, workflow/job listings (see README).
"""
import base64
import calendar
import email.utils
import hashlib
import math
import re
import secrets
import json
import urllib.parse

from . import checks, graph, payloads
from .model import CHECK_CONCLUSIONS, CHECK_STATUSES, CheckRun, Issue, Token, iso
from .model import UNSET as _UNSET
from .server import ApiError, Response

SEG = r"[^/]+"


class Route:
    def __init__(self, method, pattern, auth, fn, free=False):
        self.method, self.auth, self.fn, self.free = method, auth, fn, free
        self.regex = re.compile("^" + pattern + "$")


class Routes:
    def __init__(self, routes):
        self._routes = routes

    def match(self, method, path):
        method = "GET" if method == "HEAD" else method
        for route in self._routes:
            if route.method != method:
                continue
            m = route.regex.match(path)
            if m:
                return route, {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
        return None, None


def _int(value, name="id"):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(404, "Not Found") from None


def _parse_iso(text):
    """Epoch seconds of an ISO 8601 UTC time (YYYY-MM-DDTHH:MM:SSZ, optional fraction), else None."""
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$", str(text))
    if not m:
        return None
    y, mo, d, h, mi, sec = (int(x) for x in m.groups()[:6])
    try:
        ts = calendar.timegm((y, mo, d, h, mi, sec, 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    tz = m.group(8)
    if tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        ts -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return float(ts)


def _int_q(req, name, default, lo, hi):
    try:
        v = int(req.query.get(name, default))
    except ValueError:
        v = default
    return max(lo, min(hi, v))


def paginate(sim, req, items, default=30):
    """Slice `items` by per_page/page and build GitHub's Link header."""
    per_page = _int_q(req, "per_page", default, 1, 100)
    page = _int_q(req, "page", 1, 1, 1_000_000)
    last = max(1, math.ceil(len(items) / per_page))
    chunk = items[(page - 1) * per_page: page * per_page]
    links = []

    def url(p):
        q = dict(req.query, per_page=str(per_page), page=str(p))
        return f"<{sim.url}{req.path}?{urllib.parse.urlencode(q)}>"
    if page < last:
        links.append(f'{url(page + 1)}; rel="next"')
        links.append(f'{url(last)}; rel="last"')
    if page > 1:
        links.append(f'{url(1)}; rel="first"')
        links.append(f'{url(min(page - 1, last))}; rel="prev"')
    return chunk, ({"Link": ", ".join(links)} if links else {})


# ---- App routes (JWT) -------------------------------------------------------------------

def get_app(sim, req):
    return Response(200, {"id": sim.app_id, "slug": sim.app_slug, "node_id": f"A_{sim.app_id}",
                          "client_id": sim.client_id, "name": sim.app_name,
                          "owner": payloads.user(sim.app_owner, "Organization"),
                          "permissions": dict(sim.app_permissions), "events": list(sim.app_events),
                          "installations_count": len(sim._installations)})


def list_installations(sim, req):
    items = [payloads.installation(sim, i) for i in sorted(sim._installations.values(), key=lambda i: i.id)]
    chunk, headers = paginate(sim, req, items)
    return Response(200, chunk, headers)


def get_installation(sim, req, inst):
    i = sim._installations.get(_int(inst))
    if i is None:
        raise ApiError(404, "Not Found")
    return Response(200, payloads.installation(sim, i))


def create_token(sim, req, inst):
    i = sim._installations.get(_int(inst))
    if i is None:
        raise ApiError(404, "Not Found")
    if i.suspended:
        raise ApiError(403, "This installation has been suspended")
    body = req.json()
    narrowed = None
    names = body.get("repositories")
    if names is not None:
        if not isinstance(names, list) or len(names) > 500:
            raise ApiError(422, "Validation Failed")
        narrowed = set()
        for name in names:
            full = f"{i.account}/{name}"
            if full not in i.repos:
                raise ApiError(422, f"There is at least one repository that does not exist or is not "
                                    f"accessible to the parent installation.")
            narrowed.add(full)
    now = sim.now()
    text = "ghs_" + secrets.token_urlsafe(45)[:60]
    tok = Token(text, i.id, now, now + sim.token_ttl, narrowed)
    sim._tokens[text] = tok
    sim._tokens_issued += 1
    out = {"token": text, "expires_at": iso(tok.expires), "permissions": dict(sim.app_permissions),
           "repository_selection": "selected"}
    if narrowed is not None:
        out["repositories"] = [payloads.repo(sim, sim._repos[n]) for n in sorted(narrowed)]
    return Response(201, out)


def repo_installation(sim, req, o, r):
    repo = sim._repos.get(f"{o}/{r}")
    if repo is None or repo.installation_id not in sim._installations:
        raise ApiError(404, "Not Found")
    return Response(200, payloads.installation(sim, sim._installations[repo.installation_id]))


def _delivery_json(d, full=False):
    out = {"id": d.id, "guid": d.guid, "delivered_at": iso(d.delivered_at), "redelivery": d.redelivery,
           "duration": round(d.duration, 3), "status": d.status, "status_code": d.status_code,
           "event": d.event, "action": d.action, "installation_id": d.installation_id,
           "repository_id": d.repository_id, "throttled_at": None}
    if full:
        out["request"] = {"headers": {k: v for k, v in d.headers.items() if "Signature" not in k},
                          "payload": d.body.decode("utf-8", "replace")}
        out["response"] = {"headers": {}, "payload": None}
    return out


def list_deliveries(sim, req):
    per_page = _int_q(req, "per_page", 30, 1, 100)
    items = sorted(sim._deliveries, key=lambda d: d.id, reverse=True)
    status = req.query.get("status")
    if status == "success":
        items = [d for d in items if 200 <= d.status_code < 400]
    elif status == "failure":
        items = [d for d in items if not 200 <= d.status_code < 400]
    cursor = req.query.get("cursor")
    if cursor:
        if not cursor.startswith("v1_"):
            raise ApiError(422, "Validation Failed")
        before = _int(cursor[3:])
        items = [d for d in items if d.id <= before]
    chunk = items[:per_page]
    headers = {}
    if len(items) > per_page:
        q = dict(req.query, per_page=str(per_page), cursor=f"v1_{items[per_page].id}")
        headers["Link"] = f'<{sim.url}{req.path}?{urllib.parse.urlencode(q)}>; rel="next"'
    return Response(200, [_delivery_json(d) for d in chunk], headers)


def get_delivery(sim, req, did):
    d = sim._delivery_by_id(_int(did))
    if d is None:
        raise ApiError(404, "Not Found")
    return Response(200, _delivery_json(d, full=True))


def redeliver_attempt(sim, req, did):
    try:
        d = sim._delivery_by_id(int(did))
    except ValueError:
        d = None
    if d is None:
        raise ApiError(422, "Validation Failed", errors=[{"resource": "HookDelivery", "code": "invalid"}])
    sim._redeliver(d)
    return Response(202, {})


# ---- installation-token routes ----------------------------------------------------------

def rate_limit(sim, req):
    inst = sim._installations[req.installation_id]
    core = {"limit": inst.rate_limit, "remaining": max(0, inst.rate_limit - inst.rate_used),
            "reset": int(inst.rate_reset), "used": inst.rate_used, "resource": "core"}
    return Response(200, {"resources": {"core": core,
                                        "graphql": dict(core, resource="graphql", used=0,
                                                        remaining=inst.rate_limit)},
                          "rate": core})


def installation_repos(sim, req):
    inst = sim._installations[req.installation_id]
    names = sorted(n for n in inst.repos if req.token.repos is None or n in req.token.repos)
    chunk, headers = paginate(sim, req, [payloads.repo(sim, sim._repos[n]) for n in names])
    return Response(200, {"total_count": len(names), "repository_selection": "selected",
                          "repositories": chunk}, headers)


def get_repo(sim, req, o, r):
    return Response(200, payloads.repo(sim, sim._repo_for(req, o, r)))


def list_pulls(sim, req, o, r):
    repo = sim._repo_for(req, o, r)
    state = req.query.get("state", "open")
    prs = sorted(repo.prs.values(), key=lambda p: p.number, reverse=True)
    prs = [p for p in prs if state == "all" or p.state == state]
    if req.query.get("base"):
        prs = [p for p in prs if p.base_ref == req.query["base"]]
    chunk, headers = paginate(sim, req, [payloads.pull_request(sim, repo, p) for p in prs])
    return Response(200, chunk, headers)


def get_pull(sim, req, o, r, n):
    repo = sim._repo_for(req, o, r)
    pr = sim._pr_of(repo, n)
    mergeable, state = sim._mergeable_view(repo, pr, trigger=True)
    return Response(200, payloads.pull_request(sim, repo, pr, mergeable, state))


MERGE_METHODS = ("merge", "squash", "rebase")


def merge_pull(sim, req, o, r, n):
    repo = sim._repo_for(req, o, r)
    pr = sim._pr_of(repo, n)
    body = req.json()
    method = body.get("merge_method", "merge")
    if method not in MERGE_METHODS:
        raise ApiError(422, "Validation Failed",
                       errors=[{"resource": "PullRequest", "field": "merge_method", "code": "invalid"}])
    sha = body.get("sha")
    if sha is not None and not isinstance(sha, str):
        raise ApiError(422, "Validation Failed",
                       errors=[{"resource": "PullRequest", "field": "sha", "code": "invalid"}])
    if pr.state != "open" or pr.merged:
        raise ApiError(405, "Pull Request is not mergeable")
    if sha is not None and sha != pr.head_sha:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.")
    if pr.touches_workflows and sim.app_permissions.get("workflows") != "write":
        raise ApiError(403, "Resource not accessible by integration",
                       headers={"x-accepted-github-permissions": "workflows=write"})
    if repo.merge_queue_only:
        raise ApiError(405, "Changes must be made through the merge queue")
    if method not in repo.allowed_merge_methods:
        text = {"merge": "Merge commits are not allowed on this repository.",
                "squash": "Squash merges are not allowed on this repository.",
                "rebase": "Rebase merges are not allowed on this repository."}[method]
        raise ApiError(405, text)
    if pr.draft or pr.conflict:
        raise ApiError(405, "Pull Request is not mergeable")
    unmet = checks.unmet_required(repo, pr.base_ref, sim._runs_on(repo, pr.head_sha),
                                  sim._statuses_on(repo, pr.head_sha))
    if unmet:
        raise ApiError(405, checks.merge_refusal(unmet))
    merge_sha = sim._do_merge(repo, pr, by=(sim.bot_login, "Bot"), method=method, sha_sent=sha,
                              title=body.get("commit_title"), message=body.get("commit_message"))
    return Response(200, {"sha": merge_sha, "merged": True, "message": "Pull Request successfully merged"})


def _resolve_ref(repo, ref):
    if ref in repo.branches:
        return repo.branches[ref]
    if ref.startswith("heads/") and ref[6:] in repo.branches:
        return repo.branches[ref[6:]]
    for pr in repo.prs.values():
        if not pr.fork and pr.head_ref == ref and pr.state == "open":
            return pr.head_sha
    return ref


def list_check_runs(sim, req, o, r, ref):
    repo = sim._repo_for(req, o, r)
    sha = _resolve_ref(repo, ref)
    runs = sim._runs_on(repo, sha)
    if req.query.get("filter", "latest") == "latest":
        runs = checks.latest_check_runs(runs)
    else:
        runs = sorted(runs, key=lambda x: x.id, reverse=True)
    if req.query.get("check_name"):
        runs = [x for x in runs if x.name == req.query["check_name"]]
    if req.query.get("status"):
        runs = [x for x in runs if x.status == req.query["status"]]
    if req.query.get("app_id"):
        runs = [x for x in runs if str(x.app_id) == req.query["app_id"]]
    chunk, headers = paginate(sim, req, runs)
    return Response(200, {"total_count": len(runs),
                          "check_runs": [payloads.check_run(sim, repo, x) for x in chunk]}, headers)


def combined_status(sim, req, o, r, ref):
    repo = sim._repo_for(req, o, r)
    sha = _resolve_ref(repo, ref)
    latest = checks.latest_statuses(sim._statuses_on(repo, sha))
    chunk, headers = paginate(sim, req, latest, default=100)
    return Response(200, {"state": checks.combined_state(latest), "sha": sha, "total_count": len(latest),
                          "statuses": [payloads.status(sim, repo, s) for s in chunk],
                          "repository": payloads.repo(sim, repo)}, headers)


def commit_pulls(sim, req, o, r, sha):
    """The merged PR whose merge put `sha` on its base; else every PR that has `sha` among its commits."""
    repo = sim._repo_for(req, o, r)
    merged = [p for p in repo.prs.values() if p.merged and (p.merge_commit_sha == sha or sha in p.landed)]
    prs = merged or [p for p in repo.prs.values() if p.head_sha == sha or sha in p.commit_shas]
    prs = sorted(prs, key=lambda p: p.number)
    chunk, headers = paginate(sim, req, [payloads.pull_request(sim, repo, p) for p in prs])
    return Response(200, chunk, headers)


COMMITS_DOCS = "https://docs.github.com/rest/commits/commits"


def get_commit(sim, req, o, r, ref):
    repo = sim._repo_for(req, o, r)
    sha = graph.resolve(repo, ref)
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {ref}", docs=COMMITS_DOCS + "#get-a-commit")
    out = payloads.commit(sim, repo, repo.graph[sha])
    out["stats"] = {"total": 0, "additions": 0, "deletions": 0}
    out["files"] = []
    return Response(200, out)


COMPARE_LIMIT = 250          # commits in an unpaged compare (the newest ones)


def compare_commits(sim, req, o, r, basehead):
    """GET compare/{base}...{head}: git log base..head, oldest first. Without per_page/page at most the
    newest 250 commits and no Link; with them pages of per_page (default 30, max 100) and Link."""
    repo = sim._repo_for(req, o, r)
    docs = COMMITS_DOCS + "#compare-two-commits"
    base_ref, sep, head_ref = basehead.partition("...")
    if not sep or not base_ref or not head_ref:
        raise ApiError(404, "Not Found", docs=docs)
    base, head = graph.resolve(repo, base_ref), graph.resolve(repo, head_ref)
    if base is None or head is None:
        raise ApiError(404, "Not Found", docs=docs)
    cmp = graph.compare(repo, base, head)
    if cmp is None:
        raise ApiError(404, f"No common ancestor between {base_ref} and {head_ref}.", docs=docs)
    commits = cmp["commits"]
    headers = {}
    paged = "per_page" in req.query or "page" in req.query
    if paged:
        commits, headers = paginate(sim, req, commits)
    else:
        commits = commits[-COMPARE_LIMIT:]
    g = repo.graph
    out = {"url": f"{payloads.API}/repos/{repo.full_name}/compare/{basehead}",
           "html_url": f"https://github.com/{repo.full_name}/compare/{basehead}",
           "permalink_url": f"https://github.com/{repo.full_name}/compare/"
                            f"{repo.owner}:{base[:7]}...{repo.owner}:{head[:7]}",
           "diff_url": f"https://github.com/{repo.full_name}/compare/{basehead}.diff",
           "patch_url": f"https://github.com/{repo.full_name}/compare/{basehead}.patch",
           "base_commit": payloads.commit(sim, repo, g[base]),
           "merge_base_commit": payloads.commit(sim, repo, g[cmp["merge_base"]]),
           "status": cmp["status"], "ahead_by": cmp["ahead_by"], "behind_by": cmp["behind_by"],
           "total_commits": cmp["ahead_by"], "commits": [payloads.commit(sim, repo, g[x]) for x in commits]}
    if not paged or _int_q(req, "page", 1, 1, 1_000_000) == 1:
        out["files"] = []
    return Response(200, out, headers)


DEPLOY_DOCS = "https://docs.github.com/rest/deployments"


def list_deployments(sim, req, o, r):
    repo = sim._repo_for(req, o, r)
    items = sorted(sim._deployments.get(repo.full_name, []), key=lambda d: d.id, reverse=True)
    q = req.query
    if q.get("sha"):
        items = [d for d in items if d.sha == q["sha"]]
    if q.get("ref"):
        items = [d for d in items if d.ref == q["ref"]]
    if q.get("task"):
        items = [d for d in items if d.task == q["task"]]
    if q.get("environment"):
        items = [d for d in items if d.environment == q["environment"]]
    chunk, headers = paginate(sim, req, items)
    return Response(200, [payloads.deployment(sim, repo, d) for d in chunk], headers)


def _deployment_of(sim, repo, did):
    d = sim._deployment(repo, _int(did))
    if d is None:
        raise ApiError(404, "Not Found", docs=DEPLOY_DOCS + "/deployments#get-a-deployment")
    return d


def get_deployment(sim, req, o, r, did):
    repo = sim._repo_for(req, o, r)
    return Response(200, payloads.deployment(sim, repo, _deployment_of(sim, repo, did)))


def list_deployment_statuses(sim, req, o, r, did):
    repo = sim._repo_for(req, o, r)
    d = _deployment_of(sim, repo, did)
    chunk, headers = paginate(sim, req, sorted(d.statuses, key=lambda x: x.id, reverse=True))
    return Response(200, [payloads.deployment_status(sim, repo, d, st) for st in chunk], headers)


def get_deployment_status(sim, req, o, r, did, sid):
    repo = sim._repo_for(req, o, r)
    d = _deployment_of(sim, repo, did)
    for st in d.statuses:
        if st.id == _int(sid):
            return Response(200, payloads.deployment_status(sim, repo, d, st))
    raise ApiError(404, "Not Found", docs=DEPLOY_DOCS + "/statuses#get-a-deployment-status")


RUN_STATUSES = ("completed", "action_required", "cancelled", "failure", "neutral", "skipped", "stale", "success",
                "timed_out", "in_progress", "queued", "requested", "waiting", "pending")


def list_workflow_runs(sim, req, o, r):
    repo = sim._repo_for(req, o, r)
    q = req.query
    runs = sorted(sim._workflow_runs.get(repo.full_name, []), key=lambda x: x.id, reverse=True)
    if q.get("head_sha"):
        runs = [x for x in runs if x.head_sha == q["head_sha"]]
    if q.get("branch"):
        runs = [x for x in runs if x.head_branch == q["branch"]]
    if q.get("event"):
        runs = [x for x in runs if x.event == q["event"]]
    if q.get("actor"):
        runs = [x for x in runs if x.actor.lower() == q["actor"].lower()]
    if q.get("status"):
        st = q["status"]
        if st not in RUN_STATUSES:
            raise ApiError(422, "Validation Failed", errors=[{"resource": "WorkflowRun", "field": "status",
                                                              "code": "invalid"}])
        runs = [x for x in runs if x.status == st or x.conclusion == st]
    chunk, headers = paginate(sim, req, runs)
    return Response(200, {"total_count": len(runs), "workflow_runs": [payloads.workflow_run(sim, repo, x)
                                                                      for x in chunk]}, headers)


def get_workflow_run(sim, req, o, r, rid):
    repo = sim._repo_for(req, o, r)
    for run in sim._workflow_runs.get(repo.full_name, []):
        if run.id == _int(rid):
            return Response(200, payloads.workflow_run(sim, repo, run))
    raise ApiError(404, "Not Found", docs="https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run")


def _protection_json(repo, branch):
    prot = repo.protection.get(branch)
    if not prot:
        return False, {"enabled": False, "required_status_checks": {"enforcement_level": "off",
                                                                    "contexts": [], "checks": []}}
    contexts = list(prot.get("contexts", [])) + [c["context"] for c in prot.get("checks", [])]
    chk = [{"context": c, "app_id": None} for c in prot.get("contexts", [])]
    chk += [{"context": c["context"], "app_id": c.get("app_id")} for c in prot.get("checks", [])]
    return True, {"enabled": True, "required_status_checks": {
        "enforcement_level": prot.get("enforcement_level", "non_admins"), "contexts": contexts, "checks": chk}}


def get_branch(sim, req, o, r, branch):
    repo = sim._repo_for(req, o, r)
    if branch not in repo.branches:
        raise ApiError(404, "Branch not found")
    protected, protection = _protection_json(repo, branch)
    return Response(200, {"name": branch, "commit": {"sha": repo.branches[branch]}, "protected": protected,
                          "protection": protection,
                          "protection_url": f"{payloads.API}/repos/{repo.full_name}/branches/{branch}/protection"})


def branch_required_checks(sim, req, o, r, branch):
    repo = sim._repo_for(req, o, r)
    protected, protection = _protection_json(repo, branch)
    if not protected:
        raise ApiError(404, "Branch not protected")
    rsc = protection["required_status_checks"]
    return Response(200, {"strict": bool(repo.protection[branch].get("strict", False)),
                          "contexts": rsc["contexts"], "checks": rsc["checks"]})


def branch_rules(sim, req, o, r, branch):
    repo = sim._repo_for(req, o, r)
    chunk, headers = paginate(sim, req, checks.ruleset_rules(repo, branch))
    return Response(200, chunk, headers)


def _check_fields(sim, run, body, now):
    for key in ("details_url", "external_id"):
        if key in body:
            run.__setattr__(key, body[key])
    for key in ("started_at", "completed_at"):
        if body.get(key) is not None:
            ts = _parse_iso(body[key])
            if ts is None:
                raise ApiError(422, "Validation Failed",
                               errors=[{"resource": "CheckRun", "field": key, "code": "invalid"}])
            run.__setattr__(key, ts)
    if "output" in body:
        out = body["output"]
        if not isinstance(out, dict) or "title" not in out or "summary" not in out:
            raise ApiError(422, "Invalid request.\n\n\"title\", \"summary\" weren't supplied.")
        if len(str(out.get("summary", ""))) > 65535 or len(str(out.get("text") or "")) > 65535:
            raise ApiError(422, "Invalid request.\n\nOnly 65535 characters are allowed; summary or text too long.")
        before = (run.output or {}).get("annotations_count", 0)   # GitHub keeps adding annotations
        run.output = {"title": out["title"], "summary": out["summary"], "text": out.get("text"),
                      "annotations_count": before + len(out.get("annotations") or [])}
    status = body.get("status")
    if status is not None:
        if status not in CHECK_STATUSES:
            raise ApiError(422, "Validation Failed",
                           errors=[{"resource": "CheckRun", "field": "status", "code": "invalid"}])
        run.status = status
    if body.get("conclusion") is not None:
        if body["conclusion"] not in CHECK_CONCLUSIONS or body["conclusion"] == "stale":
            raise ApiError(422, "Validation Failed",
                           errors=[{"resource": "CheckRun", "field": "conclusion", "code": "invalid"}])
        run.conclusion, run.status = body["conclusion"], "completed"
    if run.status == "completed":
        if run.conclusion is None:
            raise ApiError(422, "Invalid request.\n\nNo conclusion given for completed check run.")
        run.completed_at = run.completed_at or now
    if run.status == "in_progress" and run.started_at is None:
        run.started_at = now


def create_check_run(sim, req, o, r):
    repo = sim._repo_for(req, o, r)
    body = req.json()
    name, head_sha = body.get("name"), body.get("head_sha")
    if not isinstance(name, str) or not name or not isinstance(head_sha, str) or not head_sha:
        raise ApiError(422, "Invalid request.\n\n\"name\", \"head_sha\" weren't supplied.")
    if head_sha.lower() not in repo.commits:
        raise ApiError(422, f"No commit found for SHA: {head_sha}",
                       docs="https://docs.github.com/rest/checks/runs#create-a-check-run")
    head_sha = head_sha.lower()
    now = sim.now()
    run = CheckRun(id=sim._next_id("check_run"), repo=repo.full_name, name=name, head_sha=head_sha,
                   head_branch=sim._head_branch_for(repo, head_sha), status="queued", conclusion=None,
                   started_at=now, completed_at=None, app_id=sim.app_id, app_slug=sim.app_slug,
                   suite_id=sim._suite_id(repo, head_sha, sim.app_id), via_api=True)
    _check_fields(sim, run, body, now)
    sim._runs.setdefault(repo.full_name, []).append(run)
    sim._check_run_events(repo, run, created=True, sender=(sim.bot_login, "Bot"))
    return Response(201, payloads.check_run(sim, repo, run))


def _own_run(sim, repo, run_id):
    rid = _int(run_id)
    for run in sim._runs.get(repo.full_name, []):
        if run.id == rid:
            return run
    raise ApiError(404, "Not Found")


def get_check_run(sim, req, o, r, cid):
    repo = sim._repo_for(req, o, r)
    return Response(200, payloads.check_run(sim, repo, _own_run(sim, repo, cid)))


def update_check_run(sim, req, o, r, cid):
    repo = sim._repo_for(req, o, r)
    run = _own_run(sim, repo, cid)
    if run.app_id != sim.app_id:
        raise ApiError(403, "Invalid app_id `%d` - check run can only be modified by the GitHub App that "
                            "created it." % sim.app_id)
    body = req.json()
    was_completed = run.status == "completed"
    if "name" in body:
        run.name = str(body["name"])
    _check_fields(sim, run, body, sim.now())
    if run.status == "completed" and not was_completed:
        sim._check_run_events(repo, run, created=False, sender=(sim.bot_login, "Bot"))
    return Response(200, payloads.check_run(sim, repo, run))


def create_comment(sim, req, o, r, n):
    repo = sim._repo_for(req, o, r)
    pr = _issue_item(sim, repo, n)
    text = req.json().get("body")
    if not isinstance(text, str) or not text:
        raise ApiError(422, "Validation Failed", errors=[{"resource": "IssueComment", "field": "body",
                                                          "code": "missing_field"}])
    if len(text) > 65536:
        raise ApiError(422, "Validation Failed", errors=[{"resource": "IssueComment", "field": "body",
                                                          "code": "custom", "message": "body is too long"}])
    c = sim._add_comment(repo, pr, text, sim.bot_login, "Bot")
    return Response(201, payloads.comment(sim, repo, c))


def list_comments(sim, req, o, r, n):
    repo = sim._repo_for(req, o, r)
    pr = _issue_item(sim, repo, n)
    items = [payloads.comment(sim, repo, c) for c in repo.comments if c.number == pr.number]
    chunk, headers = paginate(sim, req, items)
    return Response(200, chunk, headers)


def add_labels(sim, req, o, r, n):
    repo = sim._repo_for(req, o, r)
    pr = _issue_item(sim, repo, n)
    labels = req.json().get("labels")
    if not isinstance(labels, list) or not all(isinstance(x, str) and 0 < len(x) <= 50 for x in labels):
        raise ApiError(422, "Validation Failed", errors=[{"resource": "Label", "field": "name", "code": "invalid"}])
    for name in labels:
        sim._label(repo, pr, name, add=True, sender=(sim.bot_login, "Bot"))
    return Response(200, [payloads.label(x) for x in pr.labels])


def remove_label(sim, req, o, r, n, name):
    repo = sim._repo_for(req, o, r)
    pr = _issue_item(sim, repo, n)
    if name not in pr.labels:
        raise ApiError(404, "Label does not exist")
    sim._label(repo, pr, name, add=False, sender=(sim.bot_login, "Bot"))
    return Response(200, [payloads.label(x) for x in pr.labels])


# ---- issues -------------------------------------------------------------------------------

ISSUE_DOCS = "https://docs.github.com/rest/issues/issues"


def _issue_item(sim, repo, n):
    """PR or issue `n` for the issues/{n}/... routes; plain issues answer 410 when issues are off."""
    item = sim._item_of(repo, n)
    if isinstance(item, Issue) and not repo.has_issues:
        raise ApiError(410, "Issues are disabled for this repo", docs=ISSUE_DOCS)
    return item


def _title(body, required, docs):
    if "title" not in body or body["title"] is None:
        if required:
            raise ApiError(422, "Invalid request.\n\n\"title\" wasn't supplied.", docs=docs)
        return None
    title = body["title"]
    if isinstance(title, int) and not isinstance(title, bool):
        title = str(title)
    if not isinstance(title, str):
        raise ApiError(422, f"Invalid request.\n\nFor 'properties/title', {json.dumps(title)} is not a string "
                            f"or integer.", docs=docs)
    if not title.strip():
        raise ApiError(422, "Validation Failed", docs=docs,
                       errors=[{"resource": "Issue", "code": "missing_field", "field": "title"}])
    if len(title) > 256:
        raise ApiError(422, "Validation Failed", docs=docs,
                       errors=[{"resource": "Issue", "code": "custom", "field": "title",
                                "message": "title is too long (maximum is 256 characters)"}])
    return title


def _issue_body(body, docs):
    text = body.get("body")
    if text is not None and not isinstance(text, str):
        raise ApiError(422, f"Invalid request.\n\nFor 'properties/body', {json.dumps(text)} is not a string or "
                            f"null.", docs=docs)
    if text is not None and len(text) > 65536:
        raise ApiError(422, "Validation Failed", docs=docs,
                       errors=[{"resource": "Issue", "code": "custom", "field": "body",
                                "message": "body is too long (maximum is 65536 characters)"}])
    return text


def _names(body, key, docs, resource):
    """A list of label names ("a" or {"name": "a"}) or logins from body[key]."""
    value = body.get(key)
    if not isinstance(value, list):
        shown = "nil" if value is None else json.dumps(value)
        raise ApiError(422, f"Invalid request.\n\nFor 'properties/{key}', {shown} is not an array.", docs=docs)
    out = []
    for x in value:
        if resource == "Label" and isinstance(x, dict):
            x = x.get("name")
        if not isinstance(x, str) or not x or (resource == "Label" and len(x) > 50):
            raise ApiError(422, "Validation Failed", docs=docs,
                           errors=[{"resource": resource, "field": "name" if resource == "Label" else key,
                                    "code": "invalid", "value": x}])
        if x not in out:
            out.append(x)
    return out


def create_issue(sim, req, o, r):
    repo = sim._repo_for(req, o, r)
    docs = ISSUE_DOCS + "#create-an-issue"
    if not repo.has_issues:
        raise ApiError(410, "Issues are disabled for this repo", docs=docs)
    body = req.json()
    title = _title(body, True, docs)
    text = _issue_body(body, docs)
    labels = _names(body, "labels", docs, "Label") if "labels" in body else []
    assignees = _names(body, "assignees", docs, "Issue") if "assignees" in body else []
    if isinstance(body.get("assignee"), str) and body["assignee"] not in assignees:
        assignees.insert(0, body["assignee"])
    iss = sim._new_issue(repo, title, text, labels, assignees, (sim.bot_login, "Bot"), via_app=True)
    out = payloads.issue(sim, repo, iss)
    return Response(201, out, {"Location": out["url"]})


def get_issue(sim, req, o, r, n):
    repo = sim._repo_for(req, o, r)
    return Response(200, payloads.issue_any(sim, repo, _issue_item(sim, repo, n)))


STATE_REASONS = ("completed", "not_planned", "reopened", "duplicate")


def update_issue(sim, req, o, r, n):
    repo = sim._repo_for(req, o, r)
    item = _issue_item(sim, repo, n)
    docs = ISSUE_DOCS + "#update-an-issue"
    body = req.json()
    title = _title(body, False, docs)
    text = _issue_body(body, docs) if "body" in body else None
    state = body.get("state")
    if state is not None and state not in ("open", "closed"):
        raise ApiError(422, "Validation Failed", docs=docs,
                       errors=[{"resource": "Issue", "field": "state", "code": "invalid", "value": state}])
    reason = body.get("state_reason")
    if reason is not None and reason not in STATE_REASONS:
        raise ApiError(422, "Validation Failed", docs=docs,
                       errors=[{"resource": "Issue", "field": "state_reason", "code": "invalid", "value": reason}])
    labels = _names(body, "labels", docs, "Label") if "labels" in body else None
    assignees = _names(body, "assignees", docs, "Issue") if "assignees" in body else None
    bot = (sim.bot_login, "Bot")
    sim._edit_text(repo, item, _UNSET if title is None else title, text if "body" in body else _UNSET, bot)
    if labels is not None:
        sim._set_labels(repo, item, labels, bot)
    if assignees is not None and isinstance(item, Issue):
        for login in [a for a in item.assignees if a not in assignees]:
            item.assignees.remove(login)
            sim._emit_issue(repo, item, "unassigned", bot, assignee=payloads.user(login))
        for login in [a for a in assignees if a not in item.assignees]:
            item.assignees.append(login)
            sim._emit_issue(repo, item, "assigned", bot, assignee=payloads.user(login))
    if state is not None:
        sim._set_state(repo, item, state, bot, reason if state == "closed" else None)
    elif reason is not None and isinstance(item, Issue) and item.state == "closed":
        item.state_reason = reason
    return Response(200, payloads.issue_any(sim, repo, item))


def list_issues(sim, req, o, r):
    repo = sim._repo_for(req, o, r)
    if not repo.has_issues:
        raise ApiError(410, "Issues are disabled for this repo", docs=ISSUE_DOCS + "#list-repository-issues")
    q = req.query
    state = q.get("state", "open")
    items = list(repo.issues.values()) + list(repo.prs.values())
    if state != "all":
        items = [x for x in items if x.state == ("closed" if state == "closed" else "open")]
    if q.get("labels"):
        want = [x.strip() for x in q["labels"].split(",") if x.strip()]
        items = [x for x in items if all(w in x.labels for w in want)]
    if q.get("creator"):
        items = [x for x in items if x.author.lower() == q["creator"].lower()]
    assignee = q.get("assignee")
    if assignee:
        def assigned(x):
            who = x.assignees if isinstance(x, Issue) else []
            return bool(who) if assignee == "*" else (not who) if assignee == "none" else \
                assignee.lower() in (a.lower() for a in who)
        items = [x for x in items if assigned(x)]
    if q.get("since"):
        since = _parse_iso(q["since"])
        if since is not None:
            items = [x for x in items if x.updated_at >= since]
    sort = q.get("sort", "created")
    key = {"updated": lambda x: (x.updated_at, x.number),
           "comments": lambda x: (sum(1 for c in repo.comments if c.number == x.number), x.number)}.get(
        sort, lambda x: x.number)
    items.sort(key=key, reverse=q.get("direction", "desc") != "asc")
    chunk, headers = paginate(sim, req, items)
    return Response(200, [payloads.issue_any(sim, repo, x) for x in chunk], headers)


# ---- reviews, org and team membership ---------------------------------------------------

def list_reviews(sim, req, o, r, n):
    repo = sim._repo_for(req, o, r)
    pr = sim._pr_of(repo, n)
    items = [payloads.review(sim, repo, x) for x in sorted(repo.reviews, key=lambda x: x.id) if x.number == pr.number]
    chunk, headers = paginate(sim, req, items)
    return Response(200, chunk, headers)


def _org_for(sim, req, org):
    """The token's own organisation; any other org is invisible (404)."""
    inst = sim._installations[req.installation_id]
    if inst.account.lower() != org.lower() or inst.account_type != "Organization":
        raise ApiError(404, "Not Found")
    return inst.account


def org_membership(sim, req, org, user):
    name = _org_for(sim, req, org)
    m = sim._org_members.get(name.lower(), {}).get(user.lower())
    if m is None:
        raise ApiError(404, "Not Found")
    return Response(200, payloads.org_membership(name, m[0], m[1]))


def team_membership(sim, req, org, team, user):
    name = _org_for(sim, req, org)
    t = sim._teams.get((name.lower(), team.lower()))
    m = t["members"].get(user.lower()) if t else None
    if m is None:
        raise ApiError(404, "Not Found")
    login, role, state = m
    if sim._org_role(name, login) == "admin":
        role = "maintainer"        # GitHub reports org owners on a team as maintainers
    return Response(200, payloads.team_membership(t, login, role, state))


# ---- files outside GitHub (no auth) -------------------------------------------------------

def get_external(sim, req, path):
    entry = sim._external.get(path.strip("/"))
    if entry is None:
        return Response(404, b"404: Not Found\n", {"Content-Type": "text/plain; charset=utf-8"})
    data, ctype, at = entry
    headers = {"Content-Type": ctype, "Last-Modified": email.utils.formatdate(at, usegmt=True)}
    ims = req.header("If-Modified-Since")
    if ims and not req.header("If-None-Match"):
        try:
            since = email.utils.parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError, IndexError):
            since = None
        if since is not None and int(at) <= since:
            return Response(304, None, headers)
    return Response(200, data, headers)


ROLE = {"admin": ("admin", "admin"), "maintain": ("write", "maintain"), "write": ("write", "write"),
        "triage": ("read", "triage"), "read": ("read", "read"), "none": ("none", "none")}


def collaborator_permission(sim, req, o, r, user):
    repo = sim._repo_for(req, o, r)
    if user not in sim._known_users and user not in repo.collaborators:
        raise ApiError(404, "Not Found")
    perm, role = ROLE[repo.collaborators.get(user, "read")]
    return Response(200, {"permission": perm, "role_name": role, "user": payloads.user(user)})


def get_contents(sim, req, o, r, path):
    repo = sim._repo_for(req, o, r)
    ref = req.query.get("ref") or repo.default_branch
    if ref.startswith("refs/heads/"):
        ref = ref[len("refs/heads/"):]
    branch = ref if ref in repo.branches else repo.default_branch
    path = path.strip("/")
    data = repo.files.get((branch, path))
    if data is None:
        entries = sorted({p for (b, p) in repo.files if b == branch and p.startswith(path + "/")})
        if not entries:
            raise ApiError(404, "Not Found")
        out = []
        for p in entries:
            rest = p[len(path) + 1:]
            name = rest.split("/")[0]
            kind = "dir" if "/" in rest else "file"
            if not any(e["name"] == name for e in out):
                out.append({"type": kind, "name": name, "path": f"{path}/{name}",
                            "sha": hashlib.sha1(p.encode()).hexdigest(), "size": 0})
        return Response(200, out)
    b64 = base64.b64encode(data).decode("ascii")
    wrapped = "\n".join(b64[i:i + 60] for i in range(0, len(b64), 60)) + "\n"
    blob_sha = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    return Response(200, {"type": "file", "encoding": "base64", "size": len(data), "name": path.split("/")[-1],
                          "path": path, "content": wrapped, "sha": blob_sha,
                          "url": f"{payloads.API}/repos/{repo.full_name}/contents/{path}?ref={ref}"})


R = r"/repos/(?P<o>" + SEG + r")/(?P<r>" + SEG + r")"

ROUTES = Routes([
    Route("GET", r"/app", "jwt", get_app),
    Route("GET", r"/app/installations", "jwt", list_installations),
    Route("GET", r"/app/installations/(?P<inst>\d+)", "jwt", get_installation),
    Route("POST", r"/app/installations/(?P<inst>\d+)/access_tokens", "jwt", create_token),
    Route("GET", R + r"/installation", "jwt", repo_installation),
    Route("GET", r"/app/hook/deliveries", "jwt", list_deliveries),
    Route("GET", r"/app/hook/deliveries/(?P<did>" + SEG + ")", "jwt", get_delivery),
    Route("POST", r"/app/hook/deliveries/(?P<did>" + SEG + ")/attempts", "jwt", redeliver_attempt),
    Route("GET", r"/rate_limit", "token", rate_limit, free=True),
    Route("GET", r"/installation/repositories", "token", installation_repos),
    Route("GET", R, "token", get_repo),
    Route("GET", R + r"/pulls", "token", list_pulls),
    Route("GET", R + r"/pulls/(?P<n>\d+)", "token", get_pull),
    Route("PUT", R + r"/pulls/(?P<n>\d+)/merge", "token", merge_pull),
    Route("GET", R + r"/commits/(?P<ref>.+)/check-runs", "token", list_check_runs),
    Route("GET", R + r"/commits/(?P<ref>.+)/status", "token", combined_status),
    Route("GET", R + r"/commits/(?P<sha>[0-9a-fA-F]{4,40})/pulls", "token", commit_pulls),
    Route("GET", R + r"/commits/(?P<ref>[^/]+)", "token", get_commit),
    Route("GET", R + r"/compare/(?P<basehead>.+)", "token", compare_commits),
    Route("GET", R + r"/deployments", "token", list_deployments),
    Route("GET", R + r"/deployments/(?P<did>" + SEG + r")", "token", get_deployment),
    Route("GET", R + r"/deployments/(?P<did>" + SEG + r")/statuses", "token", list_deployment_statuses),
    Route("GET", R + r"/deployments/(?P<did>" + SEG + r")/statuses/(?P<sid>" + SEG + r")", "token",
          get_deployment_status),
    Route("GET", R + r"/actions/runs", "token", list_workflow_runs),
    Route("GET", R + r"/actions/runs/(?P<rid>" + SEG + r")", "token", get_workflow_run),
    Route("GET", R + r"/branches/(?P<branch>.+)/protection/required_status_checks", "token",
          branch_required_checks),
    Route("GET", R + r"/branches/(?P<branch>.+)", "token", get_branch),
    Route("GET", R + r"/rules/branches/(?P<branch>.+)", "token", branch_rules),
    Route("POST", R + r"/check-runs", "token", create_check_run),
    Route("GET", R + r"/check-runs/(?P<cid>\d+)", "token", get_check_run),
    Route("PATCH", R + r"/check-runs/(?P<cid>\d+)", "token", update_check_run),
    Route("GET", R + r"/pulls/(?P<n>\d+)/reviews", "token", list_reviews),
    Route("POST", R + r"/issues", "token", create_issue),
    Route("GET", R + r"/issues", "token", list_issues),
    Route("GET", R + r"/issues/(?P<n>\d+)", "token", get_issue),
    Route("PATCH", R + r"/issues/(?P<n>\d+)", "token", update_issue),
    Route("POST", R + r"/issues/(?P<n>\d+)/comments", "token", create_comment),
    Route("GET", R + r"/issues/(?P<n>\d+)/comments", "token", list_comments),
    Route("POST", R + r"/issues/(?P<n>\d+)/labels", "token", add_labels),
    Route("DELETE", R + r"/issues/(?P<n>\d+)/labels/(?P<name>.+)", "token", remove_label),
    Route("GET", R + r"/collaborators/(?P<user>" + SEG + r")/permission", "token", collaborator_permission),
    Route("GET", R + r"/contents/(?P<path>.+)", "token", get_contents),
    Route("GET", r"/orgs/(?P<org>" + SEG + r")/memberships/(?P<user>" + SEG + r")", "token", org_membership),
    Route("GET", r"/orgs/(?P<org>" + SEG + r")/teams/(?P<team>" + SEG + r")/memberships/(?P<user>" + SEG + r")",
          "token", team_membership),
    Route("GET", r"/ext/(?P<path>.+)", "external", get_external),
])
