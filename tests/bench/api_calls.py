"""api_calls.py - GitHub API calls fleetbot makes, counted by the simulated GitHub.

Happy path: an org whose team (UTC, 09:00-17:00) is at work (FLEETBOT_NOW is a Tuesday
10:00 UTC), N repos each with one tagged PR whose two required checks (build: branch
protection, test: ruleset) go green; every call from the PR's opened event to its merge,
per merged PR and by route. Round 1: new repos, CI starts both checks and completes them
one after the other. Round 2: a second PR in each repo (policy files cached), both checks
pass within the debounce, so the first look could decide. Waiting: N PRs of a team whose
window opens in 12 h reach WAIT; then the call log is reset and fleetbot runs on for a
while with nothing happening: calls per waiting PR (expected 0).

It prints figures and asserts no target; it exits 1 only when the scenario breaks (a PR
never merges, a waiting PR never waits or merges). Python standard library only.
Run: PYTHONPATH=tests:tests/integration FLEETBOT_BIN=BUILD/fleetbot python3 tests/bench/api_calls.py
Env: N (20), IDLE_S (20), DEBOUNCE_MS (1000, the production default).
"""
import collections
import os
import re
import sys
import time

import harness
from fleet import AUTOMERGE, Fleet, green_repo

NOW = "2026-11-24T10:00:00Z"  # a Tuesday
N = int(os.environ.get("N", "20"))
IDLE_S = float(os.environ.get("IDLE_S", "20"))
DEBOUNCE_MS = os.environ.get("DEBOUNCE_MS", "1000")

ORG_AT_WORK = """
defaults:
  team: core
teams:
  core:
    timezone: UTC
    hours: "09:00-17:00"
rate_limits:
  per_installation_per_hour: 1000
"""

ORG_NIGHT = """
defaults:
  team: night
teams:
  night:
    timezone: UTC
    hours: "22:00-06:00"
"""

REPO_RX = re.compile(r"^/repos/([^/]+/[^/]+)(/.*)?$")
ROUTES = [  # (name, method, path-after-repo regex); first match wins
    ("GET pull", "GET", r"^/pulls/\d+$"),
    ("PUT merge", "PUT", r"^/pulls/\d+/merge$"),
    ("GET check-runs", "GET", r"^/commits/[^/]+/check-runs$"),
    ("GET status", "GET", r"^/commits/[^/]+/status$"),
    ("GET branch", "GET", r"^/branches/.+$"),
    ("GET rules", "GET", r"^/rules/branches/.+$"),
    ("GET contents", "GET", r"^/contents/.+$"),
]
OWN_OUTPUT = [  # what fleetbot writes for people: reported apart from the calls that decide
    ("own check run", "POST", r"^/check-runs$"),
    ("own check run", "PATCH", r"^/check-runs/\d+$"),
    ("own comment", "POST", r"^/issues/\d+/comments$"),
    ("own comment", "PATCH", r"^/issues/comments/\d+$"),
]


def classify(call):
    """(kind, route, repo): kind is 'app' (App JWT routes, token minting), 'own' (check
    runs, comments), 'decide', or 'other'; repo is None outside /repos/."""
    if call.path.startswith("/app") or call.path == "/rate_limit":
        return "app", "%s %s" % (call.method, re.sub(r"\d+", "{id}", call.path)), None
    m = REPO_RX.match(call.path)
    if not m:
        return "other", "%s %s" % (call.method, call.path), None
    repo, rest = m.group(1), m.group(2) or ""
    for name, method, rx in OWN_OUTPUT:
        if call.method == method and re.search(rx, rest):
            return "own", name, repo
    for name, method, rx in ROUTES:
        if call.method == method and re.search(rx, rest):
            return "decide", name, repo
    return "other", "%s /repos/{r}%s" % (call.method, re.sub(r"\d+", "{n}", rest)), repo


def fail(msg):
    print("SCENARIO BROKEN: " + msg, flush=True)
    raise SystemExit(1)


def table(rows, head):
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    fmt = "  " + "  ".join("%%-%ds" % w if i == 0 else "%%%ds" % w for i, w in enumerate(widths))
    print(fmt % tuple(head))
    for r in rows:
        print(fmt % tuple(r))


def settle(F, seconds=2.0):
    F.sim.wait_webhooks_idle(20)
    time.sleep(seconds)


def log_count(F, needle):
    return sum(b.log_text().count(needle) for b in F.bots)


def evaluated_at(F, repo, n):
    return F.decision(repo, n).get("evaluated_at")


def wait_all_evaluated_since(F, prs, before, what):
    """Every PR evaluated again after `before` (its evaluated_at changed), then quiet."""
    for repo, n in prs:
        harness.wait_until(lambda: evaluated_at(F, repo, n) not in (None, before[(repo, n)]), 60,
                           what="%s#%d evaluated after %s" % (repo, n, what))
    settle(F)


def setup_org_at_work(F):
    inst = F.sim.add_installation(account="acme")
    F.sim.add_repo("acme/.github", installation=inst, default_branch="main")
    F.sim.set_file("acme/.github", "fleetbot.yml", ORG_AT_WORK)
    repos = ["acme/svc-%02d" % i for i in range(1, N + 1)]
    for i, r in enumerate(repos):
        green_repo(F, r, installation=inst, protection=("build",), ruleset=("test",))
        if i % 2 == 0:  # half name their team; the others fall back to defaults.team
            F.sim.set_file(r, ".github/fleetbot.yml", "team: core\n")
    settle(F, 1.0)
    return repos


def happy_round(F, repos, title, staggered):
    """One tagged PR per repo until all merged; the calls of the round by route."""
    F.sim.reset_calls()
    null_waits = log_count(F, "GitHub is still computing")
    start = time.monotonic()
    prs = [(r, F.sim.open_pr(r, labels=[AUTOMERGE])) for r in repos]
    heads = {p: F.sim.head_sha(*p) for p in prs}
    if staggered:
        # CI starts both checks on each head; build passes, then (a while later) test
        for p in prs:
            F.sim.start_check(p[0], heads[p], "build")
            F.sim.start_check(p[0], heads[p], "test")
        for r, n in prs:
            harness.wait_until(lambda: evaluated_at(F, r, n), 60, what="%s#%d evaluated" % (r, n))
        settle(F)
        before = {p: evaluated_at(F, *p) for p in prs}
        for p in prs:
            F.sim.complete_check(p[0], heads[p], "build", conclusion="success")
        wait_all_evaluated_since(F, prs, before, "build passed")
        for p in prs:
            F.sim.complete_check(p[0], heads[p], "test", conclusion="success")
    else:
        # both checks report within the debounce after the PR opened: one look decides
        for p in prs:
            F.sim.complete_check(p[0], heads[p], "build", conclusion="success")
            F.sim.complete_check(p[0], heads[p], "test", conclusion="success")
    for r, n in prs:
        try:
            F.wait_merged(r, n, timeout=120)
        except AssertionError as exc:
            fail("%s (last decision %r)" % (exc, F.decision(r, n)))
    elapsed = time.monotonic() - start
    settle(F, 3.0)
    calls = F.sim.calls()
    null_waits = log_count(F, "GitHub is still computing") - null_waits

    merged = {r: n for r, n in prs if F.merges_of(r, n)}
    if len(merged) != len(prs):
        fail("only %d of %d PRs merged" % (len(merged), len(prs)))
    per_pr = collections.Counter()
    after_merge = collections.Counter()
    by_route = collections.Counter()
    not_modified = collections.Counter()
    shared = collections.Counter()
    own = collections.Counter()
    app = collections.Counter()
    other = collections.Counter()
    done = set()  # repos whose merge call was answered 200
    for c in calls:
        kind, route, repo = classify(c)
        if kind == "app":
            app[route] += 1
            continue
        if kind == "own":
            own[route] += 1
            continue
        if repo in done:
            after_merge["%s %s" % (c.method, route)] += 1
            continue
        if repo not in merged:  # the config repo: shared by every PR
            shared[route] += 1
            continue
        if kind == "other":
            other[route] += 1
        per_pr[repo] += 1
        by_route[route] += 1
        if c.status == 304:
            not_modified[route] += 1
        if route == "PUT merge" and c.status == 200:
            done.add(repo)
    counts = [per_pr[r] for r in merged]
    m = len(merged)
    mean = sum(counts) / m
    shared_total = sum(shared.values())
    print("\n== happy path, %s ==" % title)
    print("  merged %d/%d in %.1f s (FLEETBOT_DEBOUNCE_MS=%s)" % (m, N, elapsed, DEBOUNCE_MS))
    print("  calls per merged PR, opened -> merged (its repo's calls, excluding App/token, "
          "own check run and comments):")
    print("    mean %.2f  min %d  max %d   (+ %.2f shared config-repo reads per PR = %.2f)"
          % (mean, min(counts), max(counts), shared_total / m, mean + shared_total / m))
    rows = []
    for name, _, _ in ROUTES:
        if by_route[name] or name in ("GET pull", "PUT merge"):
            rows.append((name, by_route[name], "%.2f" % (by_route[name] / m), not_modified[name]))
    for route, k in sorted(other.items()):
        rows.append((route, k, "%.2f" % (k / m), not_modified[route]))
    rows.append(("total", sum(by_route.values()), "%.2f" % mean, sum(not_modified.values())))
    table(rows, ("route", "calls", "per PR", "of which 304"))
    print("  evaluations per PR (= GET pull): %.2f, of which decided \"GitHub is still computing "
          "mergeable\": %.2f; distribution of calls per PR: %s"
          % (by_route["GET pull"] / m, null_waits / m,
             dict(sorted(collections.Counter(counts).items()))))
    print("  shared (config repo acme/.github): %s" % (dict(shared) or "none"))
    print("  fleetbot's own output (not counted above): %s" % (dict(own) or "none"))
    print("  App / token calls (not counted above): %s" % (dict(app) or "none"))
    print("  after the merge: %s" % (dict(after_merge) or "none"))
    return {"mean": mean, "min": min(counts), "max": max(counts), "shared": shared_total / m,
            "own": sum(own.values()) / m, "app": sum(app.values())}


def waiting(F):
    inst = F.sim.add_installation(account="night")
    F.sim.add_repo("night/.github", installation=inst, default_branch="main")
    F.sim.set_file("night/.github", "fleetbot.yml", ORG_NIGHT)
    repos = ["night/job-%02d" % i for i in range(1, N + 1)]
    for r in repos:
        green_repo(F, r, installation=inst, protection=("build",), ruleset=("test",))
    settle(F, 1.0)
    F.sim.reset_calls()
    prs = [(r, F.sim.open_pr(r, labels=[AUTOMERGE])) for r in repos]
    for r, n in prs:
        sha = F.sim.head_sha(r, n)
        F.sim.complete_check(r, sha, "build", conclusion="success")
        F.sim.complete_check(r, sha, "test", conclusion="success")
    for r, n in prs:
        try:
            F.wait_decision(r, n, "wait", contains="outside team night's working hours", timeout=60)
        except AssertionError as exc:
            fail(str(exc))
    settle(F, 3.0)
    reach, reach_shared = collections.Counter(), collections.Counter()
    for c in F.sim.calls():
        kind, route, repo = classify(c)
        if kind == "decide" and repo in dict(prs):
            reach[route] += 1
        elif kind == "decide":
            reach_shared[route] += 1
    F.sim.reset_calls()
    t0 = time.monotonic()
    time.sleep(IDLE_S)
    idle = time.monotonic() - t0
    calls = F.sim.calls()
    if any(F.merges_of(r, n) for r, n in prs):
        fail("a PR of the night team merged at 10:00 UTC")
    per_repo = collections.Counter()
    app = collections.Counter()
    for c in calls:
        kind, route, repo = classify(c)
        if kind == "app":
            app[route] += 1
        else:
            per_repo["%s %s" % (kind, route)] += 1
    total = sum(per_repo.values())
    per_pr = total / len(prs)
    print("\n== waiting: %d PRs of a team whose window opens in 12 h (checks green) ==" % N)
    print("  calls to reach WAIT, per PR: %.2f  %s; shared config-repo reads: %s"
          % (sum(reach.values()) / len(prs), dict(reach), dict(reach_shared) or "none"))
    print("  then %.1f s of real time with nothing happening:" % idle)
    print("    calls by fleetbot about these PRs: %d  -> %.3f per waiting PR, %.1f per waiting PR "
          "per day (extrapolated)" % (total, per_pr, per_pr * 86400 / idle))
    if per_repo:
        print("    which: %s" % dict(per_repo))
    print("    App calls (background jobs, not per PR): %s" % (dict(app) or "none"))
    return {"reach": sum(reach.values()) / len(prs), "idle": total, "per_pr": per_pr,
            "per_day": per_pr * 86400 / idle, "seconds": idle}


def main():
    if harness.fleetbot_bin() is None:
        print("FLEETBOT_BIN does not point at a fleetbot binary", flush=True)
        return 2
    env = {"FLEETBOT_NOW": NOW, "FLEETBOT_DEBOUNCE_MS": DEBOUNCE_MS, "FLEETBOT_LOG_LEVEL": "info"}
    with Fleet(fleetbot_env=env) as F:
        repos = setup_org_at_work(F)
        h = happy_round(F, repos, "round 1: %d new repos, CI starts 2 required checks, then build "
                        "and test pass one after the other" % N, staggered=True)
        h2 = happy_round(F, repos, "round 2: a second PR in each repo (policy files cached), both "
                         "checks pass at once", staggered=False)
        w = waiting(F)
        print("\n== summary ==")
        table([("API calls per automerged PR, round 1", "%.2f" % h["mean"],
                "min %d, max %d; +%.2f shared config reads" % (h["min"], h["max"], h["shared"]), "<= 4"),
               ("API calls per automerged PR, round 2", "%.2f" % h2["mean"],
                "min %d, max %d; +%.2f shared config reads" % (h2["min"], h2["max"], h2["shared"]),
                "<= 4"),
               ("own check run / comment calls per PR", "%.2f / %.2f" % (h["own"], h2["own"]),
                "rounds 1 / 2, not in the lines above", "-"),
               ("polling calls per waiting PR per day", "%.1f" % w["per_day"],
                "%d calls in %.0f s for %d PRs" % (w["idle"], w["seconds"], N), "0")],
              ("figure", "measured", "detail", "target"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
