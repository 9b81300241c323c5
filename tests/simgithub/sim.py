"""SimGitHub: the scripting API tests use to build a fake GitHub fleet (installations, repos,
PRs, issues, reviews, checks, statuses, protection, files, org/team membership, external
calendar files), drive events (which go out as real signed webhooks), inject faults and
inspect what the app did (merges, comments, issues, check runs, calls).

All state sits behind one lock; webhooks are queued while holding it and sent by the
Deliverer thread outside it. Git history is a commit graph (parents per commit, no trees);
post-merge executions (deployments, workflow runs, checks and statuses on default-branch
commits) are scripted per test. No GraphQL.
"""
import collections
import copy
import itertools
import sys
import threading
import time

from . import checks, graph, payloads
from .faults import Faults
from .model import (STATUS_STATES, CHECK_CONCLUSIONS, DEPLOYMENT_STATES, ORG_ROLES, PERMISSIONS, REVIEW_STATES,
                    TEAM_ROLES, WORKFLOW_CONCLUSIONS, CheckRun, Comment, Commit, Deployment, DeploymentStatus,
                    Installation, Issue, PullRequest, Repo, Review, Status, WorkflowRun, new_sha)
from .model import UNSET as _UNSET
from .routes import ROUTES
from .server import ApiError, Server
from .webhooks import Deliverer

Call = collections.namedtuple("Call", "method path status installation_id")

DEFAULT_PERMISSIONS = {"metadata": "read", "contents": "write", "pull_requests": "write", "issues": "write",
                       "checks": "write", "statuses": "read", "deployments": "read", "actions": "read",
                       "administration": "read", "merge_queues": "read", "members": "read"}
DEFAULT_EVENTS = ["pull_request", "check_run", "check_suite", "status", "deployment_status", "workflow_run",
                  "issue_comment", "push", "merge_group", "issues", "pull_request_review", "membership",
                  "organization"]
KNOWN_APPS = {"github-actions": 15368}
MAX_CALLS = 200_000
MAX_DELIVERIES = 50_000


class SimGitHub:
    def __init__(self, app_id=1, app_public_key=None, webhook_url=None, webhook_secret=None, *,
                 app_slug="fleetbot-sim", app_name=None, client_id=None, webhook_content_type="json",
                 token_ttl=3600, mergeable_delay=0.3, rate_limit=5000, rate_limit_status=403,
                 max_body=1 << 20, port=0, hook_id=None, verbose=False):
        if webhook_content_type not in ("json", "form"):
            raise ValueError("webhook_content_type must be 'json' or 'form'")
        self.app_id = int(app_id)
        self.app_public_key = tuple(app_public_key) if app_public_key else None
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.webhook_content_type = webhook_content_type
        self.app_slug = app_slug
        self.app_name = app_name or app_slug
        self.app_owner = "fleetbot-org"
        self.client_id = client_id or f"Iv23sim{self.app_id:013d}"
        self.app_permissions = dict(DEFAULT_PERMISSIONS)
        self.app_events = list(DEFAULT_EVENTS)
        self.token_ttl = float(token_ttl)
        self.token_warmup = 0.0
        self.mergeable_delay = float(mergeable_delay)
        self.default_rate_limit = int(rate_limit)
        self.rate_limit_status = int(rate_limit_status)
        self.max_body = int(max_body)
        self.hook_id = hook_id or 400_000_000 + self.app_id
        self.verbose = verbose
        self.clock_skew = 0.0
        self.url = None
        self._port = port
        self._lock = threading.RLock()
        self._id_lock = threading.Lock()
        self._counters = {}
        self._installations = {}
        self._tokens = {}
        self._tokens_issued = 0
        self._repos = {}
        self._repos_ci = {}
        self._runs = {}          # repo -> [CheckRun]
        self._statuses = {}      # repo -> [Status]
        self._suites = {}        # (repo, sha, app_id) -> suite id
        self._deployments = {}   # repo -> [Deployment], oldest first
        self._workflow_runs = {}  # repo -> [WorkflowRun], oldest first
        self._workflows = {}     # (repo, path) -> {id, name, path, runs (count), created_at}
        self._apps = dict(KNOWN_APPS)
        self._known_users = set()
        self._teams = {}         # (org, slug) lower -> {id, slug, name, org, members{login lower: [login, role, state]}}
        self._org_members = {}   # org lower -> {login lower: [login, role]}
        self._external = {}      # path -> (bytes, content_type, set_at)
        self._merges = []
        self._calls = collections.deque(maxlen=MAX_CALLS)
        self._arrivals = collections.deque(maxlen=MAX_CALLS)   # (method, path) as requests arrive
        self._deliveries = collections.deque(maxlen=MAX_DELIVERIES)
        self._by_guid = {}
        self._faults = Faults()
        self._deliverer = Deliverer(self)
        self._server = None
        self._thread = None

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self):
        self._server = Server(("127.0.0.1", self._port), self, ROUTES)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="simgithub-http", daemon=True)
        self._thread.start()
        self._deliverer.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._deliverer.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def bot_login(self):
        return f"{self.app_slug}[bot]"

    def now(self):
        return time.time() + self.clock_skew

    def _log(self, text):
        if self.verbose:
            print(text, file=sys.stderr, flush=True)

    def _next_id(self, kind):
        starts = {"installation": 40_000_001, "repo": 700_000_001, "check_run": 9_000_000_001,
                  "check_suite": 8_000_000_001, "status": 6_000_000_001, "comment": 2_000_000_001,
                  "delivery": 30_000_000_001, "pr": 1_500_000_001, "issue": 3_000_000_001,
                  "review": 1_800_000_001, "team": 5_000_001, "deployment": 1_200_000_001,
                  "deployment_status": 4_100_000_001, "workflow_run": 7_100_000_001, "workflow": 60_000_001,
                  "actions_suite": 8_500_000_001}
        with self._id_lock:
            if kind not in self._counters:
                self._counters[kind] = itertools.count(starts.get(kind, 1))
            return next(self._counters[kind])

    # ---- lookups (caller holds the lock) ---------------------------------------------------
    def _repo(self, name):
        full = self._repos_ci.get(str(name).lower())
        if full is None:
            raise KeyError(f"simgithub: unknown repo {name!r}")
        return self._repos[full]

    def _pr(self, repo, number):
        r = self._repo(repo)
        pr = r.prs.get(int(number))
        if pr is None:
            raise KeyError(f"simgithub: unknown PR {r.full_name}#{number}")
        return r, pr

    def _repo_for(self, req, o, r):
        full = self._repos_ci.get(f"{o}/{r}".lower())
        repo = self._repos.get(full) if full else None
        if repo is None or repo.installation_id != req.installation_id:
            raise ApiError(404, "Not Found")
        inst = self._installations.get(repo.installation_id)
        if inst is None or repo.full_name not in inst.repos:
            raise ApiError(404, "Not Found")
        if req.token is not None and req.token.repos is not None and repo.full_name not in req.token.repos:
            raise ApiError(404, "Not Found")
        return repo

    def _pr_of(self, repo, n):
        pr = repo.prs.get(int(n))
        if pr is None:
            raise ApiError(404, "Not Found")
        return pr

    def _item(self, repo, number):
        """(Repo, PullRequest or Issue) for a scripting call; KeyError when neither exists."""
        r = self._repo(repo)
        item = r.prs.get(int(number)) or r.issues.get(int(number))
        if item is None:
            raise KeyError(f"simgithub: unknown PR or issue {r.full_name}#{number}")
        return r, item

    def _item_of(self, repo, n):
        """The PR or issue numbered n (issues routes accept both), else 404."""
        item = repo.prs.get(int(n)) or repo.issues.get(int(n))
        if item is None:
            raise ApiError(404, "Not Found")
        return item

    def _commit(self, r, sha, branch=None, parents=(), message="commit", author="alice", committer=None,
                modified=()):
        """Remember that commit `sha` exists in repo `r` (made on `branch`, None if unknown/fork), with
        its parents in the commit graph. A sha the sim did not make (a test passed it to set_status,
        complete_check, ...) becomes a root commit: it shares no history with anything."""
        if sha and sha not in r.commits:
            r.commits[sha] = branch
        if sha and sha not in r.graph:
            r.graph[sha] = Commit(sha, [p for p in parents if p], message, author, committer or author, self.now(),
                                  self._next_id("commit_seq"), tuple(modified))

    def _new_commit(self, r, branch, parents, message, author, committer=None, modified=()):
        """Make a new commit (fresh sha) on `branch` with these parents; returns its sha."""
        sha = new_sha()
        self._commit(r, sha, branch, parents, message, author, committer, modified)
        return sha

    def _ensure_branch(self, r, branch):
        """Create `branch` off the default branch head when missing (one commit of its own, so that
        its head sha is distinct)."""
        if branch not in r.branches:
            r.branches[branch] = self._new_commit(r, branch, [r.branches[r.default_branch]],
                                                  f"Start {branch}", r.owner)
        return r.branches[branch]

    def _resolve(self, r, ref):
        """sha of a branch name / sha / sha prefix, else KeyError (scripting helpers)."""
        sha = graph.resolve(r, ref)
        if sha is None:
            raise KeyError(f"simgithub: unknown commit or branch {ref!r} in {r.full_name}")
        return sha

    def _org_role(self, org, login):
        """'admin' or 'member' for an active org member, else None."""
        m = self._org_members.get(str(org).lower(), {}).get(str(login).lower())
        return m[1] if m else None

    def _org_installation(self, org):
        for inst in self._installations.values():
            if inst.account.lower() == str(org).lower():
                return inst
        return None

    def _runs_on(self, repo, sha):
        return [x for x in self._runs.get(repo.full_name, []) if x.head_sha == sha]

    def _statuses_on(self, repo, sha):
        return [x for x in self._statuses.get(repo.full_name, []) if x.sha == sha]

    def _suite_id(self, repo, sha, app_id):
        key = (repo.full_name, sha, app_id)
        if key not in self._suites:
            self._suites[key] = self._next_id("check_suite")
        return self._suites[key]

    def _head_branch_for(self, repo, sha):
        for pr in sorted(repo.prs.values(), key=lambda p: p.number, reverse=True):
            if pr.head_sha == sha:
                return None if pr.fork else pr.head_ref
        for name, head in repo.branches.items():
            if head == sha:
                return name
        return repo.commits.get(sha)

    def _delivery_by_id(self, did):
        for d in self._deliveries:
            if d.id == did:
                return d
        return None

    def _mergeable_view(self, repo, pr, trigger):
        if pr.state != "open":
            return None, "unknown"
        now = self.now()
        if pr.mergeable_ready_at is None:
            if trigger:
                pr.mergeable_ready_at = now + self.mergeable_delay
            return None, "unknown"
        if now < pr.mergeable_ready_at:
            return None, "unknown"
        if pr.conflict:
            return False, "dirty"
        if pr.draft:
            return True, "draft"
        runs, sts = self._runs_on(repo, pr.head_sha), self._statuses_on(repo, pr.head_sha)
        if checks.unmet_required(repo, pr.base_ref, runs, sts):
            return True, "blocked"
        if checks.any_failing(runs, sts):
            return True, "unstable"
        return True, "clean"

    def _invalidate(self, pr):
        pr.mergeable_ready_at = None
        pr.merge_commit_sha = new_sha()
        pr.updated_at = self.now()

    # ---- webhooks (caller holds the lock) --------------------------------------------------
    def _emit(self, event, repo, fields, sender, installation_id=None, action=None):
        inst_id = installation_id or (repo.installation_id if repo else None)
        inst = self._installations.get(inst_id) if inst_id else None
        if inst is None or (repo is not None and repo.full_name not in inst.repos and event != "installation_repositories"):
            return None
        payload = {"action": action} if action else {}
        payload.update(fields)
        if repo is not None:
            payload["repository"] = payloads.repo(self, repo)
        if inst.account_type == "Organization":
            payload["organization"] = {"login": inst.account, "id": payloads.user(inst.account)["id"],
                                       "node_id": f"O_{inst.account}"}
        payload.setdefault("installation", payloads.installation_small(inst.id))
        payload["sender"] = payloads.user(*sender)
        d = self._deliverer.build(event, payload, installation_id=inst.id,
                                  repository_id=repo.id if repo else None)
        self._by_guid[d.guid] = d
        self._deliverer.enqueue(d)
        return d.guid

    def _emit_pr(self, repo, pr, action, sender, **extra):
        fields = {"number": pr.number, "pull_request": payloads.pull_request(self, repo, pr)}
        fields.update(extra)
        return self._emit("pull_request", repo, fields, sender, action=action)

    def _emit_push(self, repo, branch, before, after, pusher, distinct=None):
        """push event for `branch` moving before -> after. commits[] = before..after oldest first (at
        most 2048, as GitHub); those already in the repo before the push (a merged PR's own
        commits) have distinct: false. head_commit = the new head."""
        shas = graph.only_in(repo, after, before) if before else [after]
        shas = shas[-2048:]
        commits = [payloads.push_commit(repo, repo.graph[x], distinct=(distinct is None or x in distinct))
                   for x in shas]
        head = payloads.push_commit(repo, repo.graph[after], distinct=True)
        fields = {"ref": f"refs/heads/{branch}", "before": before or "0" * 40, "after": after,
                  "created": before is None, "deleted": False, "forced": False, "base_ref": None,
                  "compare": f"https://github.com/{repo.full_name}/compare/{(before or '0' * 40)[:12]}...{after[:12]}",
                  "commits": commits, "head_commit": head,
                  "pusher": {"name": pusher[0], "email": f"{pusher[0]}@users.noreply.github.com"}}
        return self._emit("push", repo, fields, pusher)

    def _check_run_events(self, repo, run, created, sender):
        if created:
            self._emit("check_run", repo, {"check_run": payloads.check_run(self, repo, run)}, sender,
                       action="created")
        if run.status == "completed":
            self._emit("check_run", repo, {"check_run": payloads.check_run(self, repo, run)}, sender,
                       action="completed")
            suite = [x for x in self._runs.get(repo.full_name, []) if x.suite_id == run.suite_id]
            if all(x.status == "completed" for x in suite):
                self._emit("check_suite", repo, {"check_suite": payloads.check_suite(self, repo, run.suite_id,
                                                                                      suite)},
                           sender, action="completed")

    def _record_delivery(self, d):
        with self._lock:
            self._deliveries.append(d)

    def _redeliver(self, d):
        again = copy.copy(d)
        again.id = self._next_id("delivery")
        again.redelivery = True
        again.headers = dict(d.headers)
        again.delivered_at, again.status_code, again.status, again.duration = None, 0, "pending", 0.0
        self._deliverer.enqueue(again)
        return again

    def _record_arrival(self, method, path):
        with self._lock:
            self._arrivals.append((method, path))

    def _record_call(self, method, path, status, installation_id, query, charged):
        with self._lock:
            self._calls.append(Call(method, path, status, installation_id))

    # ---- state changes used by routes and scripting (caller holds the lock) ----------------
    def _merge_commits(self, repo, pr, by, method, title, message):
        """Make the commits a merge puts on the base branch; returns them oldest first.
        merge: one commit, parents [base head, PR head]; squash: one commit, parent the base head;
        rebase: one new commit per PR commit (base..head), chained on the base head."""
        base = self._ensure_branch(repo, pr.base_ref)
        owner = pr.fork_owner if pr.fork else repo.owner
        if method == "merge":
            text = (title or f"Merge pull request #{pr.number} from {owner}/{pr.head_ref}") + "\n\n" + \
                (message if message is not None else pr.title)
            return [self._new_commit(repo, pr.base_ref, [base, pr.head_sha], text, by[0], "web-flow")]
        own = graph.only_in(repo, pr.head_sha, base) or [pr.head_sha]
        if method == "squash":
            body = message if message is not None else "\n\n".join(f"* {repo.graph[x].message.splitlines()[0]}"
                                                                   for x in own)
            text = (title or f"{pr.title} (#{pr.number})") + ("\n\n" + body if body else "")
            return [self._new_commit(repo, pr.base_ref, [base], text, pr.author, "web-flow")]
        out, parent = [], base
        for x in own:
            c = repo.graph[x]
            parent = self._new_commit(repo, pr.base_ref, [parent], c.message, c.author, "web-flow")
            out.append(parent)
        return out

    def _do_merge(self, repo, pr, by, method, sha_sent, title=None, message=None, record=True):
        now = self.now()
        before = repo.branches.get(pr.base_ref)
        landed = self._merge_commits(repo, pr, by, method, title, message)
        merge_sha = landed[-1]
        pr.state, pr.merged, pr.merged_at, pr.closed_at, pr.updated_at = "closed", True, now, now, now
        pr.merged_by, pr.merge_commit_sha, pr.landed = by, merge_sha, landed
        repo.branches[pr.base_ref] = merge_sha
        if record:
            self._merges.append({"repo": repo.full_name, "number": pr.number, "sha_sent": sha_sent,
                                 "head_sha": pr.head_sha, "merge_commit_sha": merge_sha,
                                 "merge_method": method, "commit_title": title, "commit_message": message,
                                 "at": now})
        self._emit_pr(repo, pr, "closed", by)
        self._emit_push(repo, pr.base_ref, before, merge_sha, by, distinct=set(landed))
        for other in repo.prs.values():
            if other.state == "open" and other.base_ref == pr.base_ref:
                other.base_sha = merge_sha
                self._invalidate(other)
        return merge_sha

    def _add_comment(self, repo, item, body, user, user_type):
        """Comment on a PR or an issue (issue_comment created; `issue.pull_request` only for PRs)."""
        c = Comment(self._next_id("comment"), item.number, body, user, user_type, self.now())
        repo.comments.append(c)
        item.updated_at = c.created_at
        self._emit("issue_comment", repo, {"issue": payloads.issue_any(self, repo, item),
                                           "comment": payloads.comment(self, repo, c)},
                   (user, user_type), action="created")
        return c

    def _label(self, repo, item, name, add, sender):
        """Add/remove one label on a PR (pull_request labeled/unlabeled) or issue (issues ...)."""
        if add == (name in item.labels):
            return
        if add:
            item.labels.append(name)
        else:
            item.labels.remove(name)
        item.updated_at = self.now()
        action = "labeled" if add else "unlabeled"
        if isinstance(item, Issue):
            self._emit_issue(repo, item, action, sender, label=payloads.label(name))
        else:
            self._emit_pr(repo, item, action, sender, label=payloads.label(name))

    def _set_labels(self, repo, item, names, sender):
        """Replace the label set (PATCH issues/{n} labels): unlabeled for removed, labeled for added."""
        for name in [x for x in item.labels if x not in names]:
            self._label(repo, item, name, add=False, sender=sender)
        for name in names:
            self._label(repo, item, name, add=True, sender=sender)

    # ---- issues (caller holds the lock) ----------------------------------------------------
    def _emit_issue(self, repo, iss, action, sender, **extra):
        fields = {"issue": payloads.issue(self, repo, iss)}
        fields.update(extra)
        return self._emit("issues", repo, fields, sender, action=action)

    def _new_issue(self, r, title, body, labels, assignees, sender, via_app, labeled_events=True):
        number = r.next_number
        r.next_number += 1
        now = self.now()
        iss = Issue(id=self._next_id("issue"), number=number, node_id=f"I_kwDOsim{r.id}_{number}", title=title,
                    body=body, author=sender[0], author_type=sender[1], labels=list(dict.fromkeys(labels)),
                    assignees=list(dict.fromkeys(assignees)), created_at=now, updated_at=now, via_app=via_app)
        r.issues[number] = iss
        self._emit_issue(r, iss, "opened", sender)
        if labeled_events:
            for name in iss.labels:
                self._emit_issue(r, iss, "labeled", sender, label=payloads.label(name))
        return iss

    def _set_state(self, r, item, state, sender, state_reason=None):
        """Close or reopen a PR or issue with its webhook (closed / reopened); no-op when unchanged."""
        now = self.now()
        if isinstance(item, Issue):
            if item.state == state:
                return
            if state == "closed":
                item.state, item.closed_at, item.closed_by = "closed", now, sender
                item.state_reason = state_reason or "completed"
            else:
                item.state, item.closed_at, item.closed_by, item.state_reason = "open", None, None, "reopened"
            item.updated_at = now
            self._emit_issue(r, item, "closed" if state == "closed" else "reopened", sender)
            return
        if state == "closed" and item.state == "open":
            item.state, item.closed_at, item.updated_at = "closed", now, now
            self._emit_pr(r, item, "closed", sender)
        elif state == "open" and item.state != "open" and not item.merged:
            item.state, item.closed_at = "open", None
            self._invalidate(item)
            self._emit_pr(r, item, "reopened", sender)

    def _edit_text(self, r, item, title, body, sender):
        """Change title/body (pass _UNSET to keep one); sends edited with `changes` if anything changed."""
        changes = {}
        if title is not _UNSET and title != item.title:
            changes["title"] = {"from": item.title}
            item.title = title
        if body is not _UNSET and body != item.body:
            changes["body"] = {"from": item.body}
            item.body = body
        if not changes:
            return
        item.updated_at = self.now()
        if isinstance(item, Issue):
            self._emit_issue(r, item, "edited", sender, changes=changes)
        else:
            self._emit_pr(r, item, "edited", sender, changes=changes)

    def app_id_for(self, slug):
        """The numeric id of the (CI) app called `slug`; stable within one sim."""
        with self._lock:
            if slug == self.app_slug:
                return self.app_id
            if slug not in self._apps:
                self._apps[slug] = 900_001 + len(self._apps)
            return self._apps[slug]

    # ---- scripting: fleet ------------------------------------------------------------------
    def add_installation(self, account, account_type="Organization", rate_limit=None):
        with self._lock:
            inst = Installation(self._next_id("installation"), account, account_type,
                                rate_limit=rate_limit or self.default_rate_limit)
            self._installations[inst.id] = inst
            self._known_users.add(account)
            self._emit("installation", None, {"installation": payloads.installation(self, inst),
                                              "repositories": [], "requester": None},
                       (f"{account}-admin", "User"), installation_id=inst.id, action="created")
            return inst.id

    def remove_installation(self, installation):
        with self._lock:
            inst = self._installations[installation]
            self._emit("installation", None, {"installation": payloads.installation(self, inst),
                                              "repositories": [self._repo_small(self._repos[n])
                                                               for n in sorted(inst.repos)]},
                       (f"{inst.account}-admin", "User"), installation_id=inst.id, action="deleted")
            del self._installations[installation]
            for name in inst.repos:
                self._repos[name].installation_id = None

    def _repo_small(self, r):
        return {"id": r.id, "node_id": f"R_{r.id}", "name": r.name, "full_name": r.full_name,
                "private": r.private}

    def add_repo(self, full_name, installation=None, default_branch="main", private=True):
        owner, _, name = full_name.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError("repo must be 'owner/name'")
        with self._lock:
            if full_name.lower() in self._repos_ci:
                raise ValueError(f"repo {full_name} exists")
            r = Repo(self._next_id("repo"), owner, name, default_branch, installation, private=private)
            r.branches[default_branch] = self._new_commit(r, default_branch, [], "Initial commit", owner)
            self._repos[full_name] = r
            self._repos_ci[full_name.lower()] = full_name
            self._known_users.add(owner)
            if installation is not None:
                inst = self._installations[installation]
                inst.repos.add(full_name)
                self._emit("installation_repositories", None,
                           {"installation": payloads.installation(self, inst), "repository_selection": "selected",
                            "repositories_added": [self._repo_small(r)], "repositories_removed": []},
                           (f"{inst.account}-admin", "User"), installation_id=inst.id, action="added")
            return full_name

    def remove_repo(self, repo):
        with self._lock:
            r = self._repo(repo)
            inst = self._installations.get(r.installation_id)
            if inst is None:
                return
            inst.repos.discard(r.full_name)
            r.installation_id = None
            self._emit("installation_repositories", None,
                       {"installation": payloads.installation(self, inst), "repository_selection": "selected",
                        "repositories_added": [], "repositories_removed": [self._repo_small(r)]},
                       (f"{inst.account}-admin", "User"), installation_id=inst.id, action="removed")

    def set_protection(self, repo, branch, contexts=(), checks=(), enforcement_level="non_admins", strict=False):
        """Classic branch protection with required status checks (checks: [{context, app_id}])."""
        with self._lock:
            r = self._repo(repo)
            self._ensure_branch(r, branch)
            r.protection[branch] = {"contexts": list(contexts), "enforcement_level": enforcement_level,
                                    "checks": [{"context": c["context"], "app_id": c.get("app_id")} for c in checks],
                                    "strict": strict}
            self._invalidate_base(r, branch)

    def clear_protection(self, repo, branch):
        with self._lock:
            r = self._repo(repo)
            r.protection.pop(branch, None)
            self._invalidate_base(r, branch)

    def set_ruleset_checks(self, repo, branch, contexts, integration_id=None, source_type="Repository",
                           source=None, strict=False):
        """Replace the required_status_checks ruleset rule for `branch` ("~ALL" = every branch)."""
        with self._lock:
            r = self._repo(repo)
            rules = [x for x in r.rules.get(branch, []) if x.get("type") != "required_status_checks"]
            if contexts:
                req = [{"context": c} if integration_id is None else {"context": c, "integration_id": integration_id}
                       for c in contexts]
                rules.append({"type": "required_status_checks",
                              "parameters": {"strict_required_status_checks_policy": strict,
                                             "do_not_enforce_on_create": False,
                                             "required_status_checks": req},
                              "ruleset_source_type": source_type,
                              "ruleset_source": source or (r.full_name if source_type == "Repository" else r.owner),
                              "ruleset_id": self._next_id("ruleset")})
            r.rules[branch] = rules
            self._invalidate_base(r, branch)

    def set_rules(self, repo, branch, rules):
        """Set the raw active rules for `branch` (list of dicts as GET rules/branches returns)."""
        with self._lock:
            r = self._repo(repo)
            r.rules[branch] = [dict(x) for x in rules]
            self._invalidate_base(r, branch)

    def set_merge_queue(self, repo, on=True, branch=None):
        """Queue-only repo: REST merge answers 405 and the rules list a merge_queue rule."""
        with self._lock:
            r = self._repo(repo)
            branch = branch or r.default_branch
            r.merge_queue_only = on
            rules = [x for x in r.rules.get(branch, []) if x.get("type") != "merge_queue"]
            if on:
                rules.append({"type": "merge_queue", "parameters": {
                    "merge_method": "MERGE", "grouping_strategy": "ALLGREEN", "max_entries_to_build": 5,
                    "min_entries_to_merge": 1, "max_entries_to_merge": 5, "min_entries_to_merge_wait_minutes": 5,
                    "check_response_timeout_minutes": 60},
                    "ruleset_source_type": "Repository", "ruleset_source": r.full_name,
                    "ruleset_id": self._next_id("ruleset")})
            r.rules[branch] = rules

    def set_allowed_merge_methods(self, repo, methods):
        with self._lock:
            self._repo(repo).allowed_merge_methods = tuple(methods)

    def set_collaborator(self, repo, user, permission):
        if permission not in PERMISSIONS:
            raise ValueError(f"permission must be one of {PERMISSIONS}")
        with self._lock:
            self._repo(repo).collaborators[user] = permission
            self._known_users.add(user)

    def add_user(self, login):
        """Make `login` exist (permission endpoint answers read instead of 404)."""
        with self._lock:
            self._known_users.add(login)

    def set_file(self, repo, path, text, branch=None):
        with self._lock:
            r = self._repo(repo)
            data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
            r.files[(branch or r.default_branch, path.strip("/"))] = data

    def delete_file(self, repo, path, branch=None):
        with self._lock:
            r = self._repo(repo)
            r.files.pop((branch or r.default_branch, path.strip("/")), None)

    def set_app_permission(self, name, level):
        """E.g. set_app_permission("workflows", "write") lets merges of workflow-touching PRs pass."""
        with self._lock:
            if level is None:
                self.app_permissions.pop(name, None)
            else:
                self.app_permissions[name] = level

    # ---- scripting: pull requests ----------------------------------------------------------
    def open_pr(self, repo, labels=(), draft=False, base=None, head_ref=None, conflict=False, fork=False,
                author="shift-author", author_type="User", title=None, body="", touches_workflows=False,
                labeled_events=True):
        """Open a PR (sends pull_request opened, then labeled per label); returns its number."""
        with self._lock:
            r = self._repo(repo)
            number = r.next_number
            r.next_number += 1
            base = base or r.default_branch
            self._ensure_branch(r, base)
            now = self.now()
            head_ref = head_ref or f"shift/change-{number}"
            head_sha = self._new_commit(r, None if fork else head_ref, [r.branches[base]],
                                        title or f"Automated change #{number}", author)
            pr = PullRequest(id=self._next_id("pr"), number=number, node_id=f"PR_kwDOsim{r.id}_{number}",
                             title=title or f"Automated change #{number}", body=body, author=author,
                             author_type=author_type, head_ref=head_ref,
                             head_sha=head_sha, base_ref=base, base_sha=r.branches[base], labels=[],
                             draft=draft, conflict=conflict, fork=fork,
                             fork_owner=(f"{author}-fork" if fork else None), touches_workflows=touches_workflows,
                             created_at=now, updated_at=now, merge_commit_sha=new_sha())
            r.prs[number] = pr
            pr.commit_shas.append(head_sha)
            if not fork:
                r.branches[pr.head_ref] = pr.head_sha
            self._known_users.add(author)
            if not labeled_events:
                pr.labels.extend(labels)
            self._emit_pr(r, pr, "opened", (author, author_type))
            if labeled_events:
                for name in labels:
                    self._label(r, pr, name, add=True, sender=(author, author_type))
            return number

    def add_label(self, repo, number, name, by="shift-author"):
        """Label a PR (pull_request labeled) or an issue (issues labeled)."""
        with self._lock:
            r, item = self._item(repo, number)
            self._label(r, item, name, add=True, sender=(by, "User"))

    def remove_label(self, repo, number, name, by="shift-author"):
        with self._lock:
            r, item = self._item(repo, number)
            self._label(r, item, name, add=False, sender=(by, "User"))

    def push_to_pr(self, repo, number, conflict=None, by=None):
        """New head commit on the PR (sends synchronize); returns the new head sha."""
        with self._lock:
            r, pr = self._pr(repo, number)
            before = pr.head_sha
            pr.head_sha = self._new_commit(r, None if pr.fork else pr.head_ref, [before],
                                           f"Update {pr.head_ref}", by or pr.author)
            pr.commit_shas.append(pr.head_sha)
            if conflict is not None:
                pr.conflict = conflict
            if not pr.fork:
                r.branches[pr.head_ref] = pr.head_sha
            self._invalidate(pr)
            self._emit_pr(r, pr, "synchronize", (by or pr.author, "User"), before=before, after=pr.head_sha)
            return pr.head_sha

    def set_draft(self, repo, number, draft):
        with self._lock:
            r, pr = self._pr(repo, number)
            if pr.draft == bool(draft):
                return
            pr.draft = bool(draft)
            self._invalidate(pr)
            self._emit_pr(r, pr, "converted_to_draft" if draft else "ready_for_review", (pr.author, pr.author_type))

    def set_conflict(self, repo, number, conflict=True):
        """Flip the PR's conflict flag (no webhook; mergeable is recomputed on the next GET)."""
        with self._lock:
            r, pr = self._pr(repo, number)
            pr.conflict = bool(conflict)
            self._invalidate(pr)

    def close_pr(self, repo, number, by=None):
        with self._lock:
            r, pr = self._pr(repo, number)
            if pr.state != "open":
                return
            pr.state, pr.closed_at = "closed", self.now()
            self._emit_pr(r, pr, "closed", (by or pr.author, "User"))

    def reopen_pr(self, repo, number, by=None):
        with self._lock:
            r, pr = self._pr(repo, number)
            if pr.state == "open" or pr.merged:
                return
            pr.state, pr.closed_at = "open", None
            self._invalidate(pr)
            self._emit_pr(r, pr, "reopened", (by or pr.author, "User"))

    def merge_pr(self, repo, number, by="alice", method="merge"):
        """A human merges the PR in the UI (not recorded in sim.merges); method merge | squash |
        rebase; returns the new base head (merge commit, squash commit or last rebased commit)."""
        if method not in ("merge", "squash", "rebase"):
            raise ValueError("method must be merge, squash or rebase")
        with self._lock:
            r, pr = self._pr(repo, number)
            if pr.state != "open":
                raise ValueError("PR is not open")
            return self._do_merge(r, pr, (by, "User"), method, None, record=False)

    def edit_pr_base(self, repo, number, base, by=None):
        """Retarget the PR (sends pull_request edited with changes.base)."""
        with self._lock:
            r, pr = self._pr(repo, number)
            self._ensure_branch(r, base)
            changes = {"base": {"ref": {"from": pr.base_ref}, "sha": {"from": pr.base_sha}}}
            pr.base_ref, pr.base_sha = base, r.branches[base]
            self._invalidate(pr)
            self._emit_pr(r, pr, "edited", (by or pr.author, "User"), changes=changes)

    def add_comment(self, repo, number, body, user="alice", user_type="User"):
        """Someone comments on the PR or issue (issue_comment created); returns the comment id."""
        with self._lock:
            r, item = self._item(repo, number)
            self._known_users.add(user)
            return self._add_comment(r, item, body, user, user_type).id

    def push_to_branch(self, repo, branch=None, files=None, by="alice", message=None):
        """Push one commit to a branch (push event); its parent is the previous head (a new branch
        starts from the default branch head). Open PRs against it recompute mergeable.
        `files` ({path: text}) are written on that branch and listed as modified. Returns the sha."""
        with self._lock:
            r = self._repo(repo)
            branch = branch or r.default_branch
            before = r.branches.get(branch)
            parent = before if before is not None else r.branches[r.default_branch]
            after = self._new_commit(r, branch, [parent], message or "Direct push", by,
                                     modified=sorted(files or {}))
            r.branches[branch] = after
            for path, text in (files or {}).items():
                r.files[(branch, path.strip("/"))] = text.encode("utf-8") if isinstance(text, str) else text
            self._emit_push(r, branch, before, after, (by, "User"))
            self._invalidate_base(r, branch)
            return after

    def _invalidate_base(self, r, branch):
        for pr in r.prs.values():
            if pr.state == "open" and pr.base_ref == branch:
                pr.base_sha = r.branches.get(branch, pr.base_sha)
                self._invalidate(pr)

    # ---- scripting: issues and reviews -----------------------------------------------------
    def open_issue(self, repo, title=None, body="", labels=(), assignees=(), author="alice", author_type="User",
                   labeled_events=True):
        """Someone opens an issue (issues opened, then labeled per label); returns its number.
        Issue numbers share the repo's sequence with PR numbers."""
        with self._lock:
            r = self._repo(repo)
            self._known_users.add(author)
            iss = self._new_issue(r, title or f"Issue #{r.next_number}", body, labels, assignees,
                                  (author, author_type), via_app=False, labeled_events=labeled_events)
            return iss.number

    def edit_issue(self, repo, number, title=None, body=None, by="alice"):
        """Change an issue's title and/or body (issues edited with changes.title/body.from)."""
        with self._lock:
            r, iss = self._issue(repo, number)
            self._edit_text(r, iss, _UNSET if title is None else title, _UNSET if body is None else body,
                            (by, "User"))

    def close_issue(self, repo, number, by="alice", state_reason="completed"):
        """Close an issue (issues closed); state_reason completed | not_planned."""
        with self._lock:
            r, iss = self._issue(repo, number)
            self._set_state(r, iss, "closed", (by, "User"), state_reason)

    def reopen_issue(self, repo, number, by="alice"):
        with self._lock:
            r, iss = self._issue(repo, number)
            self._set_state(r, iss, "open", (by, "User"))

    def _issue(self, repo, number):
        r = self._repo(repo)
        iss = r.issues.get(int(number))
        if iss is None:
            raise KeyError(f"simgithub: unknown issue {r.full_name}#{number}")
        return r, iss

    def set_issues_enabled(self, repo, enabled=True):
        """Repo setting: with issues off the plain-issue routes answer 410 "Issues are disabled for this repo"."""
        with self._lock:
            self._repo(repo).has_issues = bool(enabled)

    def add_review(self, repo, number, user="alice", state="APPROVED", commit_id=None, body="", user_type="User"):
        """Submit a PR review (pull_request_review submitted; the webhook's review.state is lower case,
        REST's upper case); commit_id defaults to the current head. Returns the review id."""
        if state not in REVIEW_STATES:
            raise ValueError(f"state must be one of {REVIEW_STATES}")
        with self._lock:
            r, pr = self._pr(repo, number)
            if state != "COMMENTED" and user == pr.author:
                raise ValueError("GitHub does not let a pull request's author approve or request changes on it")
            rv = Review(self._next_id("review"), pr.number, user, user_type, state, commit_id or pr.head_sha, body,
                        self.now())
            r.reviews.append(rv)
            self._known_users.add(user)
            self._emit("pull_request_review", r, {"review": payloads.review(self, r, rv, webhook=True),
                                                  "pull_request": payloads.pull_request(self, r, pr)},
                       (user, user_type), action="submitted")
            return rv.id

    def dismiss_review(self, repo, review_id, by="alice", message="Dismissed"):
        """Dismiss an APPROVED/CHANGES_REQUESTED review (pull_request_review dismissed; state DISMISSED)."""
        with self._lock:
            r = self._repo(repo)
            rv = next((x for x in r.reviews if x.id == int(review_id)), None)
            if rv is None:
                raise KeyError(f"simgithub: unknown review {review_id}")
            if rv.state not in ("APPROVED", "CHANGES_REQUESTED"):
                raise ValueError("only approving or change-requesting reviews can be dismissed")
            rv.state = "DISMISSED"
            self._emit("pull_request_review", r, {"review": payloads.review(self, r, rv, webhook=True),
                                                  "pull_request": payloads.pull_request(self, r, r.prs[rv.number])},
                       (by, "User"), action="dismissed")

    # ---- scripting: organisation and team membership ---------------------------------------
    def add_team(self, org, team_slug, name=None):
        """Create an (empty) team; add_team_member creates it too. Returns the team id."""
        with self._lock:
            return self._team_create(org, team_slug, name)["id"]

    def _team_create(self, org, slug, name=None):
        key = (str(org).lower(), str(slug).lower())
        if key not in self._teams:
            self._teams[key] = {"id": self._next_id("team"), "slug": str(slug).lower(), "name": name or slug,
                                "org": org, "members": {}}
        return self._teams[key]

    def _membership_event(self, org, team, login, action):
        inst = self._org_installation(org)
        if inst is None:
            return
        self._emit("membership", None, {"scope": "team", "member": payloads.user(login),
                                        "team": payloads.team(team)},
                   (f"{inst.account}-admin", "User"), installation_id=inst.id, action=action)

    def _organization_event(self, org, login, role, action):
        inst = self._org_installation(org)
        if inst is None or inst.account_type != "Organization":
            return
        self._emit("organization", None, {"membership": payloads.org_membership(org, login, role)},
                   (f"{inst.account}-admin", "User"), installation_id=inst.id, action=action)

    def add_team_member(self, org, team_slug, user, role="member", state="active"):
        """Put `user` on the team (creating it); role member | maintainer, state active | pending.
        An active team member is also made an org member (role member) if not one yet.
        Sends membership added (scope team) for new members."""
        if role not in TEAM_ROLES:
            raise ValueError(f"role must be one of {TEAM_ROLES}")
        if state not in ("active", "pending"):
            raise ValueError("state must be 'active' or 'pending'")
        with self._lock:
            team = self._team_create(org, team_slug)
            new = str(user).lower() not in team["members"]
            team["members"][str(user).lower()] = [user, role, state]
            self._known_users.add(user)
            if state == "active" and self._org_role(org, user) is None:
                self._set_org_member(org, user, "member")
            if new:
                self._membership_event(org, team, user, "added")

    def remove_team_member(self, org, team_slug, user):
        with self._lock:
            team = self._teams.get((str(org).lower(), str(team_slug).lower()))
            if team is not None and team["members"].pop(str(user).lower(), None) is not None:
                self._membership_event(org, team, user, "removed")

    def set_org_member(self, org, user, role="member"):
        """Make `user` an active member of `org` (role admin | member); organization member_added when new."""
        if role not in ORG_ROLES:
            raise ValueError(f"role must be one of {ORG_ROLES}")
        with self._lock:
            self._set_org_member(org, user, role)

    def _set_org_member(self, org, user, role):
        members = self._org_members.setdefault(str(org).lower(), {})
        new = str(user).lower() not in members
        members[str(user).lower()] = [user, role]
        self._known_users.add(user)
        if new:
            self._organization_event(org, user, role, "member_added")

    def remove_org_member(self, org, user):
        """Remove `user` from the org and all its teams (organization member_removed)."""
        with self._lock:
            m = self._org_members.get(str(org).lower(), {}).pop(str(user).lower(), None)
            for (o, _), team in sorted(self._teams.items()):
                if o == str(org).lower() and team["members"].pop(str(user).lower(), None) is not None:
                    self._membership_event(org, team, user, "removed")
            if m is not None:
                self._organization_event(org, m[0], m[1], "member_removed")

    # ---- scripting: files outside GitHub ---------------------------------------------------
    def set_external(self, path, text, content_type="text/calendar"):
        """Serve `text` at {sim.url}/ext/{path} without authentication (an https calendar URL outside
        GitHub): ETag + Last-Modified, 304 on If-None-Match / If-Modified-Since, 404 when absent."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        with self._lock:
            self._external[str(path).strip("/")] = (data, content_type, self.now())

    def delete_external(self, path):
        with self._lock:
            self._external.pop(str(path).strip("/"), None)

    def external_url(self, path):
        return f"{self.url}/ext/{str(path).strip('/')}"

    # ---- scripting: checks and statuses ----------------------------------------------------
    def start_check(self, repo, sha, name, app_id=None, app_slug="ci"):
        """A CI check run starts (check_run created, in_progress); returns its id."""
        with self._lock:
            r = self._repo(repo)
            app_id = app_id or self.app_id_for(app_slug)
            self._commit(r, sha)
            run = CheckRun(self._next_id("check_run"), r.full_name, name, sha, self._head_branch_for(r, sha),
                           "in_progress", None, self.now(), None, app_id, app_slug,
                           self._suite_id(r, sha, app_id))
            self._runs.setdefault(r.full_name, []).append(run)
            self._check_run_events(r, run, created=True, sender=(f"{app_slug}[bot]", "Bot"))
            return run.id

    def complete_check(self, repo, sha, name, conclusion="success", app_id=None, app_slug="ci",
                       details_url=None, output=None):
        """Complete the in-progress run `name` on `sha`, or create it completed (check_run created +
        completed, then check_suite completed when the suite is done); returns the run id."""
        if conclusion not in CHECK_CONCLUSIONS:
            raise ValueError(f"conclusion must be one of {CHECK_CONCLUSIONS}")
        with self._lock:
            r = self._repo(repo)
            app_id = app_id or self.app_id_for(app_slug)
            self._commit(r, sha)
            now = self.now()
            open_runs = [x for x in self._runs_on(r, sha)
                         if x.name == name and x.app_id == app_id and x.status != "completed"]
            if open_runs:
                run = max(open_runs, key=lambda x: x.id)
                created = False
            else:
                run = CheckRun(self._next_id("check_run"), r.full_name, name, sha, self._head_branch_for(r, sha),
                               "completed", None, now, None, app_id, app_slug, self._suite_id(r, sha, app_id))
                self._runs.setdefault(r.full_name, []).append(run)
                created = True
            run.status, run.conclusion, run.completed_at = "completed", conclusion, now
            run.details_url = details_url or run.details_url
            run.output = output or run.output
            self._check_run_events(r, run, created=created, sender=(f"{app_slug}[bot]", "Bot"))
            return run.id

    def set_status(self, repo, sha, context, state, description=None, target_url=None, creator="ci-bot"):
        """A commit status (status event, no action); returns its id."""
        if state not in STATUS_STATES:
            raise ValueError(f"state must be one of {STATUS_STATES}")
        with self._lock:
            r = self._repo(repo)
            self._commit(r, sha)
            st = Status(self._next_id("status"), r.full_name, sha, context, state, description, target_url,
                        creator, self.now())
            self._statuses.setdefault(r.full_name, []).append(st)
            self._emit("status", r, payloads.status_event(self, r, st), (creator, "User"))
            return st.id

    # ---- scripting: post-merge executions (deployments, workflow runs) ---------------------
    def _sender(self, login):
        return (login, "Bot" if str(login).endswith("[bot]") else "User")

    def _sha_arg(self, r, sha):
        """sha of a scripting `sha` argument: None -> default branch head; a branch name or known
        sha (prefix) -> its sha; an unknown 40-hex sha becomes a known root commit; else KeyError."""
        if sha is None:
            return r.branches[r.default_branch]
        named = graph.resolve(r, sha)
        if named is None:
            if not graph.HEX.match(str(sha)) or len(str(sha)) != 40:
                raise KeyError(f"simgithub: unknown commit or branch {sha!r} in {r.full_name}")
            self._commit(r, sha)
            named = sha
        return named

    def create_deployment(self, repo, sha=None, environment="production", task="deploy", creator="deploy-bot",
                          ref=None, payload=None, description=None, production_environment=None,
                          transient_environment=False):
        """A deployment of `sha` (default: the default branch head; a branch name works too) is created:
        `deployment` created. `ref` defaults to the branch name given (or the default branch when sha is
        None), else the sha. Returns the deployment id."""
        with self._lock:
            r = self._repo(repo)
            if ref is None:
                ref = r.default_branch if sha is None else (sha if sha in r.branches else None)
            sha = self._sha_arg(r, sha)
            now = self.now()
            d = Deployment(self._next_id("deployment"), r.full_name, sha, ref or sha, task, environment, environment,
                           description, dict(payload or {}), creator, now, now,
                           environment == "production" if production_environment is None
                           else bool(production_environment), bool(transient_environment))
            self._deployments.setdefault(r.full_name, []).append(d)
            self._emit("deployment", r, {"deployment": payloads.deployment(self, r, d), "workflow": None,
                                         "workflow_run": None}, self._sender(creator), action="created")
            return d.id

    def _deployment(self, r, deployment_id):
        for d in self._deployments.get(r.full_name, []):
            if d.id == int(deployment_id):
                return d
        return None

    def set_deployment_status(self, repo, deployment_id, state="success", environment_url=None, log_url=None,
                              description=None, creator="deploy-bot", target_url=None, environment=None):
        """A new status of a deployment: `deployment_status` created (`deployment_status` + `deployment`).
        target_url defaults to log_url (GitHub keeps both equal); environment to the deployment's.
        Returns the status id."""
        if state not in DEPLOYMENT_STATES:
            raise ValueError(f"state must be one of {DEPLOYMENT_STATES}")
        with self._lock:
            r = self._repo(repo)
            d = self._deployment(r, deployment_id)
            if d is None:
                raise KeyError(f"simgithub: unknown deployment {deployment_id} in {r.full_name}")
            now = self.now()
            if environment:
                d.environment = environment
            st = DeploymentStatus(self._next_id("deployment_status"), d.id, state, d.environment, environment_url,
                                  log_url, target_url if target_url is not None else log_url, description, creator,
                                  now)
            d.statuses.append(st)
            d.updated_at = now
            self._emit("deployment_status", r, {"deployment_status": payloads.deployment_status(self, r, d, st),
                                                "deployment": payloads.deployment(self, r, d), "check_run": None,
                                                "workflow": None, "workflow_run": None},
                       self._sender(creator), action="created")
            return st.id

    def _workflow(self, r, name, path):
        key = (r.full_name, path)
        if key not in self._workflows:
            self._workflows[key] = {"id": self._next_id("workflow"), "name": name, "path": path, "runs": 0,
                                    "created_at": self.now()}
        return self._workflows[key]

    def _run_branch(self, r, sha):
        for pr in sorted(r.prs.values(), key=lambda p: p.number, reverse=True):
            if pr.head_sha == sha:
                return pr.head_ref
        return self._head_branch_for(r, sha) or r.default_branch

    def run_workflow(self, repo, name="CI", sha=None, event="push", branch=None, conclusion="success",
                     path=".github/workflows/ci.yml", html_url=None, actor=None):
        """An Actions workflow run on `sha` (default: the default branch head): `workflow_run` requested,
        in_progress, then completed with `conclusion` (conclusion=None leaves it in progress; finish it with
        complete_workflow_run). `branch` defaults to the default branch for the default head, else the
        branch the sha is the head of (a PR's head branch) or was made on. Creates no check suite or check
        runs. Returns the run id."""
        if conclusion is not None and conclusion not in WORKFLOW_CONCLUSIONS:
            raise ValueError(f"conclusion must be one of {WORKFLOW_CONCLUSIONS}")
        with self._lock:
            r = self._repo(repo)
            given = sha
            sha = self._sha_arg(r, sha)
            if branch is None:
                branch = r.default_branch if given is None or given == r.default_branch else self._run_branch(r, sha)
            wf = self._workflow(r, name, path)
            wf["runs"] += 1
            now = self.now()
            rid = self._next_id("workflow_run")
            author = r.graph[sha].author if sha in r.graph else "alice"
            run = WorkflowRun(rid, r.full_name, name, path, wf["id"], sha, branch, event, "requested", None,
                              wf["runs"], 1, self._next_id("actions_suite"),
                              html_url or f"https://github.com/{r.full_name}/actions/runs/{rid}",
                              actor or author, now, now, now)
            self._workflow_runs.setdefault(r.full_name, []).append(run)
            self._workflow_event(r, run, "requested")
            run.status = "in_progress"
            self._workflow_event(r, run, "in_progress")
            if conclusion is not None:
                self._finish_run(r, run, conclusion)
            return run.id

    def _workflow_event(self, r, run, action):
        wf = self._workflows[(r.full_name, run.path)]
        self._emit("workflow_run", r, {"workflow_run": payloads.workflow_run(self, r, run),
                                       "workflow": payloads.workflow(self, r, wf)},
                   self._sender(run.actor), action=action)

    def _finish_run(self, r, run, conclusion):
        run.status, run.conclusion, run.updated_at = "completed", conclusion, self.now()
        self._workflow_event(r, run, "completed")

    def _workflow_run(self, r, run_id):
        for run in self._workflow_runs.get(r.full_name, []):
            if run.id == int(run_id):
                return run
        raise KeyError(f"simgithub: unknown workflow run {run_id} in {r.full_name}")

    def complete_workflow_run(self, repo, run_id, conclusion="success"):
        """Finish an in-progress run (workflow_run completed)."""
        if conclusion not in WORKFLOW_CONCLUSIONS:
            raise ValueError(f"conclusion must be one of {WORKFLOW_CONCLUSIONS}")
        with self._lock:
            r = self._repo(repo)
            run = self._workflow_run(r, run_id)
            if run.status == "completed":
                raise ValueError("workflow run already completed")
            self._finish_run(r, run, conclusion)

    def rerun_workflow(self, repo, run_id, conclusion="success"):
        """Re-run a completed run: same id, run_attempt + 1, requested / in_progress / completed again
        (conclusion=None leaves it in progress). Returns the new run_attempt."""
        if conclusion is not None and conclusion not in WORKFLOW_CONCLUSIONS:
            raise ValueError(f"conclusion must be one of {WORKFLOW_CONCLUSIONS}")
        with self._lock:
            r = self._repo(repo)
            run = self._workflow_run(r, run_id)
            if run.status != "completed":
                raise ValueError("only a completed workflow run can be re-run")
            now = self.now()
            run.run_attempt += 1
            run.status, run.conclusion, run.updated_at, run.run_started_at = "requested", None, now, now
            run.check_suite_id = self._next_id("actions_suite")
            self._workflow_event(r, run, "requested")
            run.status = "in_progress"
            self._workflow_event(r, run, "in_progress")
            if conclusion is not None:
                self._finish_run(r, run, conclusion)
            return run.run_attempt

    # ---- scripting: limits and faults ------------------------------------------------------
    def set_rate_limit(self, installation, limit=None, remaining=None, reset_in=None):
        """Primary budget of one installation; remaining=0 makes the next counted call 403/429."""
        with self._lock:
            inst = self._installations[installation]
            now = self.now()
            if now >= inst.rate_reset:
                inst.rate_used, inst.rate_reset = 0, int(now) + 3600
            if limit is not None:
                inst.rate_limit = int(limit)
            if remaining is not None:
                inst.rate_used = max(0, inst.rate_limit - int(remaining))
            if reset_in is not None:
                inst.rate_reset = int(now + reset_in)

    def fail_next(self, method, path_regex, status, body=None, headers=None, count=1, apply=False):
        """Answer the next `count` requests matching method (None = any) and path regex (re.search)
        with `status`; apply=True performs the real effect first (e.g. merged, then 502)."""
        self._faults.fail_next(method, path_regex, status, body, headers, count, apply)

    def delay_next(self, method, path_regex, seconds, count=1):
        self._faults.delay_next(method, path_regex, seconds, count)

    def secondary_limit_next(self, count=1, method=None, path_regex=None, retry_after=60, status=403):
        """The next matching requests answer a secondary rate limit (retry_after=None: no header)."""
        self._faults.secondary_limit_next(count, method, path_regex, retry_after, status)

    def clear_faults(self):
        self._faults.clear()

    def set_token_warmup(self, seconds):
        """New installation tokens answer 401 Bad credentials during their first `seconds`."""
        self.token_warmup = float(seconds)

    def expire_tokens(self):
        with self._lock:
            for tok in self._tokens.values():
                tok.expires = min(tok.expires, self.now() - 1)

    def set_clock_skew(self, seconds):
        """GitHub's clock = local clock + seconds (JWT checks, Date header, timestamps)."""
        self.clock_skew = float(seconds)

    # ---- scripting: webhook delivery controls ----------------------------------------------
    def pause_webhooks(self):
        self._deliverer.pause()

    def resume_webhooks(self, order="fifo"):
        self._deliverer.resume(order)

    def drop_next_webhooks(self, n, record=True):
        """Lose the next n deliveries; record=True lists them as failed in /app/hook/deliveries."""
        self._deliverer.drop_next(n, record)

    def redeliver(self, guid):
        """Send a delivery again with the same GUID (redelivery: true), as the UI button does."""
        with self._lock:
            d = self._by_guid.get(guid)
            if d is None:
                raise KeyError(f"simgithub: unknown delivery guid {guid}")
            self._redeliver(d)

    def wait_webhooks_idle(self, timeout=10.0):
        """True once nothing is queued or in flight (False on timeout, e.g. while paused)."""
        return self._deliverer.wait_idle(timeout)

    def webhooks_pending(self):
        return self._deliverer.pending()

    # ---- inspection ------------------------------------------------------------------------
    def deliveries(self, event=None):
        with self._lock:
            return [{"id": d.id, "guid": d.guid, "event": d.event, "action": d.action,
                     "status_code": d.status_code, "status": d.status, "redelivery": d.redelivery,
                     "delivered_at": d.delivered_at, "installation_id": d.installation_id}
                    for d in self._deliveries if event is None or d.event == event]

    @property
    def merges(self):
        with self._lock:
            return [dict(m) for m in self._merges]

    def pr(self, repo, number):
        """The PR as REST would show it (does not start a mergeability computation)."""
        with self._lock:
            r, pr = self._pr(repo, number)
            mergeable, state = self._mergeable_view(r, pr, trigger=False)
            return payloads.pull_request(self, r, pr, mergeable, state)

    def head_sha(self, repo, number):
        with self._lock:
            return self._pr(repo, number)[1].head_sha

    def branch_sha(self, repo, branch=None):
        with self._lock:
            r = self._repo(repo)
            return r.branches[branch or r.default_branch]

    def comments(self, repo, number):
        """Comments on a PR or issue: [{id, body, user, user_type, created_at}]."""
        with self._lock:
            r, item = self._item(repo, number)
            return [{"id": c.id, "body": c.body, "user": c.user, "user_type": c.user_type, "created_at": c.created_at}
                    for c in r.comments if c.number == item.number]

    def check_runs(self, repo, sha):
        """Every check run on `sha` (CI's and the app's own), REST shape, oldest first."""
        with self._lock:
            r = self._repo(repo)
            return [payloads.check_run(self, r, x) for x in sorted(self._runs_on(r, sha), key=lambda x: x.id)]

    def own_check_runs(self, repo, sha=None):
        """Check runs the app created through POST check-runs (on `sha`, or on any commit), REST shape,
        oldest first: output{title, summary, text, annotations_count}, status, conclusion, details_url, ..."""
        with self._lock:
            r = self._repo(repo)
            runs = [x for x in self._runs.get(r.full_name, [])
                    if x.via_api and x.app_id == self.app_id and (sha is None or x.head_sha == sha)]
            return [payloads.check_run(self, r, x) for x in sorted(runs, key=lambda x: x.id)]

    def commit_parents(self, repo, sha):
        """Parent shas of a commit (`sha` may be a branch name or sha prefix); [] for a root."""
        with self._lock:
            r = self._repo(repo)
            return list(r.graph[self._resolve(r, sha)].parents)

    def is_ancestor(self, repo, ancestor, descendant):
        """Whether `ancestor` is in the history of `descendant` (equal counts); branch names work."""
        with self._lock:
            r = self._repo(repo)
            return graph.is_ancestor(r, self._resolve(r, ancestor), self._resolve(r, descendant))

    def compare(self, repo, base, head):
        """What GET compare/{base}...{head} computes: {status, ahead_by, behind_by, merge_base, commits
        (all shas of base..head, oldest first)}, or None when the histories share no commit."""
        with self._lock:
            r = self._repo(repo)
            return graph.compare(r, self._resolve(r, base), self._resolve(r, head))

    def commit(self, repo, sha):
        """A commit in REST shape ({sha, commit{message, author, committer}, parents[{sha}], ...})."""
        with self._lock:
            r = self._repo(repo)
            return payloads.commit(self, r, r.graph[self._resolve(r, sha)])

    def deployments(self, repo):
        """Every deployment of the repo, REST shape, oldest first, each with an extra `statuses` key
        (its statuses in REST shape, oldest first)."""
        with self._lock:
            r = self._repo(repo)
            return [dict(payloads.deployment(self, r, d),
                         statuses=[payloads.deployment_status(self, r, d, st) for st in d.statuses])
                    for d in self._deployments.get(r.full_name, [])]

    def workflow_runs(self, repo):
        """Every workflow run of the repo, REST shape, oldest first."""
        with self._lock:
            r = self._repo(repo)
            return [payloads.workflow_run(self, r, x) for x in self._workflow_runs.get(r.full_name, [])]

    def has_commit(self, repo, sha):
        """Whether `sha` is a commit the repo knows (POST check-runs accepts exactly these)."""
        with self._lock:
            return str(sha).lower() in self._repo(repo).commits

    def issue(self, repo, number):
        """A plain issue, or a PR as the issues API shows it (with a `pull_request` key)."""
        with self._lock:
            r, item = self._item(repo, number)
            return payloads.issue_any(self, r, item)

    def issues(self, repo, state="all"):
        """Plain issues (no PRs), REST shape, by number; state open | closed | all."""
        with self._lock:
            r = self._repo(repo)
            return [payloads.issue(self, r, x) for _, x in sorted(r.issues.items())
                    if state == "all" or x.state == state]

    def reviews(self, repo, number):
        """Reviews of a PR, REST shape (upper-case state), oldest first."""
        with self._lock:
            r, pr = self._pr(repo, number)
            return [payloads.review(self, r, x) for x in r.reviews if x.number == pr.number]

    def statuses(self, repo, sha):
        with self._lock:
            r = self._repo(repo)
            return [payloads.status(self, r, x) for x in sorted(self._statuses_on(r, sha), key=lambda x: x.id)]

    def installation_of(self, repo):
        with self._lock:
            return self._repo(repo).installation_id

    @property
    def tokens_issued(self):
        with self._lock:
            return self._tokens_issued

    def calls(self, method=None, path_regex=None):
        import re
        rx = re.compile(path_regex) if path_regex else None
        with self._lock:
            return [c for c in self._calls
                    if (method is None or c.method == method.upper()) and (rx is None or rx.search(c.path))]

    def arrivals(self, method=None, path_regex=None):
        """How many requests arrived (counted before any delay or answer): lets a test act
        while a delayed call is still in flight, which calls() cannot show."""
        import re
        rx = re.compile(path_regex) if path_regex else None
        with self._lock:
            return sum(1 for m, p in self._arrivals
                       if (method is None or m == method.upper()) and (rx is None or rx.search(p)))

    def reset_calls(self):
        with self._lock:
            self._calls.clear()
            self._arrivals.clear()
