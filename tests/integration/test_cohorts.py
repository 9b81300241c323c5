"""Integration: a gradual rollout in three cohorts, gated on Firewatch's health (issue 4's
acceptance scenario). Cohort canary merges and deploys green -> cohort standard opens
(its PRs were waiting on the cohort gate, woken when Firewatch proved the last canary
merge); standard's deploys fail in 3 of its 5 repos -> the shift is paused with exactly
one alert issue and a comment on each implicated PR, and nothing more merges in any
cohort; a resume from someone who is not a shift owner is refused; a shift owner resumes
it -> merging continues into the last cohort."""
import harness
from fleet import AUTOMERGE, Fleet, green, green_repo

NOW = "2026-11-24T10:00:00Z"
F = None
SHIFT = "fleetbot/shift:wave"

ORG = """defaults:
  team: core
teams:
  core:
    timezone: UTC
firewatch:
  min_implicated: 3
  max_failure_percent: 30
"""

WAVE = """owners: [olga]
cohorts:
  - name: canary
    repos: [gamma/c1, gamma/c2]
  - name: standard
    tiers: [standard]
  - name: rest
health_bar:
  min_merged_percent: 100
"""


def deploy(repo, sha, state):
    d = F.sim.create_deployment(repo, sha=sha, environment="production")
    F.sim.set_deployment_status(repo, d, state=state, log_url="https://deploy.example/%s/%d" % (repo, d))


def merge_sha(repo, n):
    return F.merges_of(repo, n)[0]["merge_commit_sha"]


def test_three_cohorts_gated_on_health():
    inst = F.sim.add_installation(account="gamma")
    F.sim.add_repo("gamma/.github", installation=inst, default_branch="main")
    F.sim.set_file("gamma/.github", "fleetbot.yml", ORG)
    F.sim.set_file("gamma/.github", "shifts/wave.yml", WAVE)
    canary, standard, rest = ["gamma/c1", "gamma/c2"], ["gamma/s%d" % i for i in range(1, 6)], \
        ["gamma/r1", "gamma/r2"]
    prs = {}
    for r in canary + standard + rest:
        green_repo(F, r, installation=inst)
        F.sim.set_collaborator(r, "rita", "read")
        if r in standard:
            F.sim.set_file(r, ".github/fleetbot.yml", "tier: standard\n")
        prs[r] = F.sim.open_pr(r, labels=[AUTOMERGE, SHIFT])
    for r in prs:
        green(F, r, prs[r])

    # cohort canary merges; the others wait on the cohort gate, saying for what
    for r in canary:
        F.wait_merged(r, prs[r])
    for r in standard:
        F.wait_decision(r, prs[r], "wait", contains="waits for cohort canary")
    F.wait_decision("gamma/r1", prs["gamma/r1"], "wait", contains="cohort canary")
    F.settle()
    assert not any(F.merges_of(r, prs[r]) for r in standard + rest)

    # canary deploys green: Firewatch proves both merges and cohort standard opens
    for r in canary:
        deploy(r, merge_sha(r, prs[r]), "success")
    for r in standard:
        F.wait_merged(r, prs[r])
    d = F.wait_decision("gamma/r2", prs["gamma/r2"], "wait", contains="waits for cohort standard")
    run = F.sim.own_check_runs("gamma/r2", F.sim.head_sha("gamma/r2", prs["gamma/r2"]))[-1]
    assert "cohort" in run["output"]["summary"] and "standard" in run["output"]["title"], run

    # standard's deploys fail in 3 of its 5 repos: paused, one alert, each PR told
    for r in standard[:3]:
        deploy(r, merge_sha(r, prs[r]), "failure")
    harness.wait_until(lambda: F.redis_cli().hgetall("fb:shift:paused:wave").get("by") == "firewatch", 30,
                       what="the shift paused")
    harness.wait_until(lambda: len(F.sim.issues("gamma/.github")) == 1, 30, what="one alert issue")
    for r in standard[:3]:
        harness.wait_until(lambda r=r: any("Firewatch" in c["body"] and "deployment:production" in c["body"]
                                           for c in F.sim.comments(r, prs[r])), 30, what="%s told" % r)
    for r in standard[3:]:
        deploy(r, merge_sha(r, prs[r]), "success")
    F.wait_decision("gamma/r1", prs["gamma/r1"], "blocked", contains="shift wave is paused by firewatch")
    F.settle()
    assert len(F.sim.issues("gamma/.github")) == 1
    assert not any(F.merges_of(r, prs[r]) for r in rest)

    # only a shift owner resumes it
    issue = F.sim.issues("gamma/.github")[0]["number"]
    F.sim.add_comment("gamma/.github", issue, "/fleetbot resume-shift wave", user="rita")
    harness.wait_until(lambda: any("refused" in c["body"] and "shift owner" in c["body"]
                                   for c in F.sim.comments("gamma/.github", issue)), 30, what="the refusal")
    F.settle()
    assert F.redis_cli().hgetall("fb:shift:paused:wave")
    assert not any(F.merges_of(r, prs[r]) for r in rest)
    F.sim.add_comment("gamma/.github", issue, "/fleetbot resume-shift wave", user="olga")
    for r in rest:
        F.wait_merged(r, prs[r])
    for r in prs:
        assert len(F.merges_of(r, prs[r])) == 1, r


if __name__ == "__main__":
    with Fleet(fleetbot_env={"FLEETBOT_NOW": NOW}) as F:
        harness.run_tests()
