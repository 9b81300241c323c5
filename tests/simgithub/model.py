"""State of the simulated GitHub: installations, tokens, repos, pull requests, issues, reviews,
check runs, statuses and webhook deliveries, as plain dataclasses plus tiny helpers.

No HTTP, no JSON shaping (payloads.py) and no locking here: SimGitHub's one lock guards all
of it. Git history is a commit graph per repo (`Repo.graph`: sha -> Commit with parents); there
are no trees or file diffs. Deployments and workflow runs are the post-merge executions tests
script on any known commit.
"""
import datetime
import secrets
import zlib
from dataclasses import dataclass, field
from typing import Optional

PASSING_CONCLUSIONS = ("success", "neutral", "skipped")
FAILING_CONCLUSIONS = ("failure", "cancelled", "timed_out", "action_required", "startup_failure", "stale")
CHECK_CONCLUSIONS = PASSING_CONCLUSIONS + FAILING_CONCLUSIONS
CHECK_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
STATUS_STATES = ("pending", "success", "failure", "error")
DEPLOYMENT_STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success", "waiting")
WORKFLOW_CONCLUSIONS = ("success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required",
                        "startup_failure", "stale")
WORKFLOW_EVENTS = ("push", "pull_request", "pull_request_target", "merge_group", "schedule", "workflow_dispatch",
                   "workflow_run", "repository_dispatch", "release", "deployment", "check_suite")
UNSET = object()                                     # "argument not given" (None may be a real value)
PERMISSIONS = ("admin", "maintain", "write", "triage", "read", "none")
REVIEW_STATES = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED")
TEAM_ROLES = ("member", "maintainer")
ORG_ROLES = ("admin", "member")


def new_sha():
    return secrets.token_hex(20)


def iso(ts):
    if ts is None:
        return None
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_id(login):
    """A stable numeric id for a login (GitHub ids are stable per account)."""
    return 1000 + zlib.crc32(login.encode("utf-8")) % 90_000_000


@dataclass
class Installation:
    id: int
    account: str
    account_type: str = "Organization"
    repos: set = field(default_factory=set)          # full names
    suspended: bool = False
    rate_limit: int = 5000
    rate_used: int = 0
    rate_reset: float = 0.0                          # epoch seconds when the window refills


@dataclass
class Token:
    token: str
    installation_id: int
    created: float
    expires: float
    repos: Optional[set] = None                      # narrowed repo names, None = all


@dataclass
class PullRequest:
    id: int
    number: int
    node_id: str
    title: str
    body: str
    author: str
    author_type: str
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    labels: list
    draft: bool = False
    state: str = "open"
    merged: bool = False
    merged_at: Optional[float] = None
    merged_by: Optional[tuple] = None                # (login, type)
    merge_commit_sha: Optional[str] = None
    closed_at: Optional[float] = None
    created_at: float = 0.0
    updated_at: float = 0.0
    conflict: bool = False
    fork: bool = False
    fork_owner: Optional[str] = None
    touches_workflows: bool = False
    mergeable_ready_at: Optional[float] = None       # None = computation not started
    auto_merge: Optional[dict] = None
    commit_shas: list = field(default_factory=list)  # every head commit pushed to the PR, oldest first
    landed: list = field(default_factory=list)       # commits the merge put on the base (merge/squash: 1)


@dataclass
class CheckRun:
    id: int
    repo: str
    name: str
    head_sha: str
    head_branch: Optional[str]                       # None for fork heads
    status: str
    conclusion: Optional[str]
    started_at: Optional[float]
    completed_at: Optional[float]
    app_id: int
    app_slug: str
    suite_id: int
    details_url: Optional[str] = None
    external_id: Optional[str] = None
    output: Optional[dict] = None
    via_api: bool = False                            # created by the app through POST check-runs


@dataclass
class Status:
    id: int
    repo: str
    sha: str
    context: str
    state: str
    description: Optional[str]
    target_url: Optional[str]
    creator: str
    created_at: float


@dataclass
class Issue:
    id: int
    number: int
    node_id: str
    title: str
    body: Optional[str]
    author: str
    author_type: str
    labels: list
    assignees: list
    state: str = "open"
    state_reason: Optional[str] = None
    created_at: float = 0.0
    updated_at: float = 0.0
    closed_at: Optional[float] = None
    closed_by: Optional[tuple] = None                # (login, type)
    via_app: bool = False                            # created by the app through the API


@dataclass
class Review:
    id: int
    number: int
    user: str
    user_type: str
    state: str                                       # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED
    commit_id: str
    body: str
    submitted_at: float


@dataclass
class Comment:
    id: int
    number: int
    body: str
    user: str
    user_type: str
    created_at: float


@dataclass
class Commit:
    sha: str
    parents: list                                    # [sha]; [] for a root (initial or unknown history)
    message: str
    author: str                                      # login
    committer: str                                   # login ("web-flow" for merges made on GitHub)
    created_at: float
    seq: int                                         # creation order: parents always have a lower seq
    modified: tuple = ()                             # paths a push_to_branch commit wrote


@dataclass
class Deployment:
    id: int
    repo: str
    sha: str
    ref: str
    task: str
    environment: str
    original_environment: str
    description: Optional[str]
    payload: dict
    creator: str
    created_at: float
    updated_at: float
    production_environment: bool
    transient_environment: bool
    statuses: list = field(default_factory=list)     # [DeploymentStatus], oldest first


@dataclass
class DeploymentStatus:
    id: int
    deployment_id: int
    state: str
    environment: str
    environment_url: Optional[str]
    log_url: Optional[str]
    target_url: Optional[str]
    description: Optional[str]
    creator: str
    created_at: float


@dataclass
class WorkflowRun:
    id: int
    repo: str
    name: str
    path: str
    workflow_id: int
    head_sha: str
    head_branch: Optional[str]
    event: str
    status: str                                      # requested | in_progress | completed
    conclusion: Optional[str]
    run_number: int
    run_attempt: int
    check_suite_id: int
    html_url: str
    actor: str
    created_at: float
    updated_at: float
    run_started_at: float


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    default_branch: str
    installation_id: Optional[int]
    private: bool = True
    archived: bool = False
    fork: bool = False
    branches: dict = field(default_factory=dict)     # name -> head sha
    protection: dict = field(default_factory=dict)   # branch -> {contexts, checks, enforcement_level, strict}
    rules: dict = field(default_factory=dict)        # branch or "~ALL" -> [rule dicts]
    collaborators: dict = field(default_factory=dict)  # login -> permission
    files: dict = field(default_factory=dict)        # (branch, path) -> bytes
    merge_queue_only: bool = False
    allowed_merge_methods: tuple = ("merge", "squash", "rebase")
    allow_auto_merge: bool = False
    next_number: int = 1
    prs: dict = field(default_factory=dict)          # number -> PullRequest
    issues: dict = field(default_factory=dict)       # number -> Issue (numbers shared with prs)
    comments: list = field(default_factory=list)     # [Comment] on PRs and issues
    reviews: list = field(default_factory=list)      # [Review]
    commits: dict = field(default_factory=dict)      # sha -> branch it was made on (or None)
    graph: dict = field(default_factory=dict)        # sha -> Commit (every known commit)
    has_issues: bool = True

    @property
    def full_name(self):
        return f"{self.owner}/{self.name}"


@dataclass
class Delivery:
    id: int
    guid: str
    event: str
    action: Optional[str]
    installation_id: Optional[int]
    repository_id: Optional[int]
    body: bytes
    headers: dict
    redelivery: bool = False
    delivered_at: Optional[float] = None
    status_code: int = 0
    status: str = "pending"
    duration: float = 0.0
