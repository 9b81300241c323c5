"""Integration: Firewatch's correlation (docs/firewatch.md). Merges of two shifts land on a
repo's default branch; deployments and workflow runs then report on default-branch
commits through the simulated GitHub. A failure implicates exactly the registered merges
its commit contains that the pipeline has not succeeded with; a failure at a commit
without automerged commits implicates nothing; a failure containing merges of two shifts
implicates both; a later success clears a merge only for the pipeline that succeeded;
ancestry is cached, so another pipeline at the same commit costs no compare call."""
import harness
from fleet import AUTOMERGE, Fleet, green, green_repo

NOW = "2026-11-24T10:00:00Z"
F = None
COMPARE = r"^/repos/acme/api/compare/"


def state(n):
    return F.redis_cli().hgetall("fb:fw:state:acme/api#%d" % n)


def implications():
    return [dict(zip(e[1][::2], e[1][1::2])) for e in
            F.redis_cli().call("XRANGE", "fb:fw:implications", "-", "+")]


def judged(kind, source):
    key = "fb:fw:exec:acme/api:%s:%s" % (kind, source)
    harness.wait_until(lambda: F.redis_cli().hgetall(key).get("judged") == "1", 30,
                       what="%s %s judged" % (kind, source))


def merge(shift):
    n = F.sim.open_pr("acme/api", labels=[AUTOMERGE, "fleetbot/shift:" + shift])
    green(F, "acme/api", n)
    F.wait_merged("acme/api", n)
    harness.wait_until(lambda: F.redis_cli().call("ZSCORE", "fb:fw:merges:acme/api", str(n)), 15,
                       what="merge registered")
    return n, F.merges_of("acme/api", n)[0]["merge_commit_sha"]


def deploy(sha, state_):
    d = F.sim.create_deployment("acme/api", sha=sha, environment="production")
    sid = F.sim.set_deployment_status("acme/api", d, state=state_, log_url="https://ci.example/%d" % d)
    return sid


def test_failures_implicate_contained_unproven_merges_per_pipeline():
    inst = green_repo(F, "acme/api")
    before = F.sim.branch_sha("acme/api")
    # a failure before any registered merge, at a commit with no automerged commits
    sid = deploy(before, "failure")
    F.settle()
    assert not F.redis_cli().call("KEYS", "fb:fw:exec:*"), "kept an execution of a repo without merges"

    n7, m7 = merge("bump-lib")
    sid = deploy(m7, "failure")
    judged("deployment", sid)
    assert state(n7).get("deployment:production") == "implicated", state(n7)
    imp = implications()
    assert len(imp) == 1 and imp[0]["pr"] == str(n7) and imp[0]["shift"] == "bump-lib", imp
    assert imp[0]["url"].startswith("https://ci.example/"), imp

    n8, m8 = merge("log4")
    run = F.sim.run_workflow("acme/api", name="CI", sha=m8, conclusion="failure")
    judged("workflow", "%d-1" % run)
    assert state(n7).get("workflow:CI") == "implicated" and state(n8).get("workflow:CI") == "implicated"
    shifts = sorted(i["shift"] for i in implications() if i["pipeline"] == "workflow:CI")
    assert shifts == ["bump-lib", "log4"], shifts  # both shifts count it

    # a second pipeline at the same commit: ancestry is cached, no compare call
    F.sim.reset_calls()
    sid = deploy(m8, "success")
    judged("deployment", sid)
    assert F.sim.calls("GET", COMPARE) == [], F.sim.calls("GET", COMPARE)
    # the deployment succeeded with both in: proven for it, still implicated for CI
    assert state(n7)["deployment:production"] == "proven" and state(n8)["deployment:production"] == "proven"
    assert state(n7)["workflow:CI"] == "implicated"

    # CI recovers at m8: both proven for CI; a later CI failure at a person's commit
    # implicates neither (CI already succeeded with them)
    run = F.sim.run_workflow("acme/api", name="CI", sha=m8, conclusion="success")
    judged("workflow", "%d-1" % run)
    assert state(n7)["workflow:CI"] == "proven" and state(n8)["workflow:CI"] == "proven"
    h9 = F.sim.push_to_branch("acme/api", files={"README.md": "hello\n"})
    count = len(implications())
    run = F.sim.run_workflow("acme/api", name="CI", sha=h9, conclusion="failure")
    judged("workflow", "%d-1" % run)
    assert len(implications()) == count, implications()

    # a failure of another pipeline at the old commit before both merges implicates nothing
    run = F.sim.run_workflow("acme/api", name="Nightly", sha=before, conclusion="failure")
    judged("workflow", "%d-1" % run)
    assert len(implications()) == count
    assert state(n7).get("workflow:Nightly") is None and state(n8).get("workflow:Nightly") is None
    # every judgement is one compare call at most
    assert len(F.sim.calls("GET", COMPARE)) <= 3, F.sim.calls("GET", COMPARE)
    assert inst


def test_a_shift_that_breaks_deploys_is_paused_alerted_once_and_resumed_by_an_owner():
    inst = F.sim.add_installation(account="beta")
    F.sim.add_repo("beta/.github", installation=inst, default_branch="main")
    F.sim.set_file("beta/.github", "fleetbot.yml", "defaults:\n  team: core\nteams:\n  core:\n"
                   "    timezone: UTC\nfirewatch:\n  min_implicated: 2\n  max_failure_percent: 50\n")
    F.sim.set_file("beta/.github", "shifts/risky.yml", "owners: [olga]\n")
    repos = ["beta/r%d" % i for i in range(4)]
    merged = {}
    for r in repos:
        green_repo(F, r, installation=inst)
        F.sim.set_collaborator(r, "rita", "read")
        n = F.sim.open_pr(r, labels=[AUTOMERGE, "fleetbot/shift:risky"])
        green(F, r, n)
        F.wait_merged(r, n)
        merged[r] = (n, F.merges_of(r, n)[0]["merge_commit_sha"])
    # r0 deploys fine; r1 fails: 1 implicated of 2 observed, below min_implicated
    for r, outcome in (("beta/r0", "success"), ("beta/r1", "failure")):
        d = F.sim.create_deployment(r, sha=merged[r][1], environment="production")
        F.sim.set_deployment_status(r, d, state=outcome, log_url="https://deploy.example/%s" % r)
    harness.wait_until(lambda: any("Firewatch" in c["body"] for c in F.sim.comments("beta/r1", merged["beta/r1"][0])),
                       30, what="the implicated PR told")
    body = [c["body"] for c in F.sim.comments("beta/r1", merged["beta/r1"][0]) if "Firewatch" in c["body"]][0]
    assert "deployment:production" in body and "https://deploy.example/beta/r1" in body, body
    F.settle()
    assert not F.redis_cli().hgetall("fb:shift:paused:risky")
    assert [i for i in F.sim.issues("beta/.github")] == []
    # r2 fails too: 2 of 3 implicated -> paused, one alert issue
    d = F.sim.create_deployment("beta/r2", sha=merged["beta/r2"][1], environment="production")
    F.sim.set_deployment_status("beta/r2", d, state="error")
    harness.wait_until(lambda: F.redis_cli().hgetall("fb:shift:paused:risky").get("by") == "firewatch", 30,
                       what="the shift paused by firewatch")
    harness.wait_until(lambda: len(F.sim.issues("beta/.github")) == 1, 30, what="the alert issue")
    issue = F.sim.issues("beta/.github")[0]
    assert "risky" in issue["title"] and "beta/r1#" in issue["body"] and "beta/r2#" in issue["body"], issue
    # a new PR of the shift is not merged, and says why
    n = F.sim.open_pr("beta/r0", labels=[AUTOMERGE, "fleetbot/shift:risky"])
    green(F, "beta/r0", n)
    F.wait_decision("beta/r0", n, "blocked", contains="shift risky is paused by firewatch")
    # r3 fails as well: the same incident, still one issue (updated)
    d = F.sim.create_deployment("beta/r3", sha=merged["beta/r3"][1], environment="production")
    F.sim.set_deployment_status("beta/r3", d, state="failure")
    harness.wait_until(lambda: "beta/r3#" in F.sim.issues("beta/.github")[0]["body"], 30,
                       what="the alert issue updated")
    assert len(F.sim.issues("beta/.github")) == 1
    # only an owner resumes it, on the alert issue
    num = issue["number"]
    F.sim.add_comment("beta/.github", num, "/fleetbot resume-shift risky", user="rita")
    harness.wait_until(lambda: any("refused" in c["body"] for c in F.sim.comments("beta/.github", num)), 30,
                       what="the refusal")
    assert F.redis_cli().hgetall("fb:shift:paused:risky")
    F.sim.add_comment("beta/.github", num, "/fleetbot resume-shift risky", user="olga")
    F.wait_merged("beta/r0", n)
    assert not F.redis_cli().hgetall("fb:shift:paused:risky")


if __name__ == "__main__":
    with Fleet(fleetbot_env={"FLEETBOT_NOW": NOW}) as F:
        harness.run_tests()
