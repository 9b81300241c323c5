"""REST routes of the simulated GitHub: the App routes (JWT) and the installation-token routes
fleetbot uses, shaped like GitHub's responses (contract §3, §4). Handlers run under the
SimGitHub lock and return Response objects or raise ApiError.

Not here: GraphQL, compare, deployments, Actions runs, manifest conversion (see README).
"""
import base64
import hashlib
import math
import re
import secrets
import urllib.parse

from . import checks, payloads
from .model import CHECK_CONCLUSIONS, CHECK_STATUSES, CheckRun, Token, iso
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
    repo = sim._repo_for(req, o, r)
    merged = [p for p in repo.prs.values() if p.merged and p.merge_commit_sha == sha]
    prs = merged or [p for p in repo.prs.values() if p.head_sha == sha]
    prs = sorted(prs, key=lambda p: p.number)
    chunk, headers = paginate(sim, req, [payloads.pull_request(sim, repo, p) for p in prs])
    return Response(200, chunk, headers)


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
    if "output" in body:
        out = body["output"]
        if not isinstance(out, dict) or "title" not in out or "summary" not in out:
            raise ApiError(422, "Invalid request.\n\n\"title\", \"summary\" weren't supplied.")
        if len(str(out.get("summary", ""))) > 65535 or len(str(out.get("text") or "")) > 65535:
            raise ApiError(422, "Invalid request.\n\nOnly 65535 characters are allowed; summary or text too long.")
        run.output = {"title": out["title"], "summary": out["summary"], "text": out.get("text"),
                      "annotations_count": len(out.get("annotations") or [])}
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
    now = sim.now()
    run = CheckRun(id=sim._next_id("check_run"), repo=repo.full_name, name=name, head_sha=head_sha,
                   head_branch=sim._head_branch_for(repo, head_sha), status="queued", conclusion=None,
                   started_at=now, completed_at=None, app_id=sim.app_id, app_slug=sim.app_slug,
                   suite_id=sim._suite_id(repo, head_sha, sim.app_id))
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
    pr = sim._pr_of(repo, n)
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
    pr = sim._pr_of(repo, n)
    items = [payloads.comment(sim, repo, c) for c in repo.comments if c.number == pr.number]
    chunk, headers = paginate(sim, req, items)
    return Response(200, chunk, headers)


def add_labels(sim, req, o, r, n):
    repo = sim._repo_for(req, o, r)
    pr = sim._pr_of(repo, n)
    labels = req.json().get("labels")
    if not isinstance(labels, list) or not all(isinstance(x, str) and 0 < len(x) <= 50 for x in labels):
        raise ApiError(422, "Validation Failed", errors=[{"resource": "Label", "field": "name", "code": "invalid"}])
    for name in labels:
        sim._label(repo, pr, name, add=True, sender=(sim.bot_login, "Bot"))
    return Response(200, [payloads.label(x) for x in pr.labels])


def remove_label(sim, req, o, r, n, name):
    repo = sim._repo_for(req, o, r)
    pr = sim._pr_of(repo, n)
    if name not in pr.labels:
        raise ApiError(404, "Label does not exist")
    sim._label(repo, pr, name, add=False, sender=(sim.bot_login, "Bot"))
    return Response(200, [payloads.label(x) for x in pr.labels])


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
    Route("GET", R + r"/branches/(?P<branch>.+)/protection/required_status_checks", "token",
          branch_required_checks),
    Route("GET", R + r"/branches/(?P<branch>.+)", "token", get_branch),
    Route("GET", R + r"/rules/branches/(?P<branch>.+)", "token", branch_rules),
    Route("POST", R + r"/check-runs", "token", create_check_run),
    Route("GET", R + r"/check-runs/(?P<cid>\d+)", "token", get_check_run),
    Route("PATCH", R + r"/check-runs/(?P<cid>\d+)", "token", update_check_run),
    Route("POST", R + r"/issues/(?P<n>\d+)/comments", "token", create_comment),
    Route("GET", R + r"/issues/(?P<n>\d+)/comments", "token", list_comments),
    Route("POST", R + r"/issues/(?P<n>\d+)/labels", "token", add_labels),
    Route("DELETE", R + r"/issues/(?P<n>\d+)/labels/(?P<name>.+)", "token", remove_label),
    Route("GET", R + r"/collaborators/(?P<user>" + SEG + r")/permission", "token", collaborator_permission),
    Route("GET", R + r"/contents/(?P<path>.+)", "token", get_contents),
])
