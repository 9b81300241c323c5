"""Integration: comment commands and the `fleetbot` check run. With the clock at a Tuesday
10:00 UTC and a team at work: every command is authorised through the collaborator-permission
API (a read-only user is refused with the permission it needs), hold/unhold drive the hold
label, an opt-out by comment is recorded with who, when, reason and expiry and respects the
org's maximum, a shift is paused and resumed only by its owners (a login or a team) or an
admin of the config repo, `/fleetbot why` answers with the trace, malformed commands get
the usage, and the check run on the head says what was decided - a failure for a broken
config file, also on the commit that broke it."""
import json
import time

import harness
from fleet import AUTOMERGE, Fleet, green, green_repo

NOW = "2026-11-24T10:00:00Z"
F = None
INST = None

ORG = """
defaults:
  team: core
teams:
  core:
    timezone: UTC
    hours: "08:00-18:00"
opt_outs:
  max_days: 30
"""


def setup_org():
    inst = F.sim.add_installation(account="acme")
    F.sim.add_repo("acme/.github", installation=inst, default_branch="main")
    F.sim.set_file("acme/.github", "fleetbot.yml", ORG)
    F.sim.set_file("acme/.github", "shifts/bump.yml", "owners: [olga, \"@acme/platform\"]\n")
    F.sim.add_team_member("acme", "platform", "tess")
    F.sim.set_collaborator("acme/.github", "ada", "admin")
    return inst


def pr(name, labels=(AUTOMERGE,)):
    if name not in F.sim_repos:
        green_repo(F, name, installation=INST)
        F.sim.set_collaborator(name, "wendy", "write")
        F.sim.set_collaborator(name, "rita", "read")
        F.sim_repos.add(name)
    return F.sim.open_pr(name, labels=list(labels))


def replies(repo, n):
    return [c["body"] for c in F.sim.comments(repo, n) if c["user"] == F.sim.bot_login]


def wait_reply(repo, n, contains, count=None, timeout=30):
    def ok():
        return [b for b in replies(repo, n) if contains in b]
    harness.wait_until(ok, timeout, what="%s#%d reply containing %r (have %r)" % (
        repo, n, contains, replies(repo, n)))
    return ok()[-1]


def own_run(repo, sha):
    runs = F.sim.own_check_runs(repo, sha)
    return runs[-1] if runs else None


def test_read_only_user_is_refused_and_writer_holds_and_releases():
    n = pr("acme/api")
    F.sim.add_comment("acme/api", n, "/fleetbot hold", user="rita")
    body = wait_reply("acme/api", n, "refused")
    assert "needs write permission on the repository" in body and "@rita has read" in body, body
    assert "fleetbot/hold" not in F.sim.pr("acme/api", n)["labels"].__repr__()
    F.sim.add_comment("acme/api", n, "Let me look first.\n/FleetBot HOLD", user="wendy")
    wait_reply("acme/api", n, "**hold**: held")
    labels = [l["name"] for l in F.sim.pr("acme/api", n)["labels"]]
    assert "fleetbot/hold" in labels, labels
    green(F, "acme/api", n)
    F.wait_decision("acme/api", n, "blocked", contains="on hold")
    F.settle()
    assert not F.merges_of("acme/api", n)
    run = own_run("acme/api", F.sim.head_sha("acme/api", n))
    assert run and run["conclusion"] == "neutral" and "on hold" in run["output"]["title"], run
    assert "| ✗ | eligibility |" in run["output"]["summary"], run["output"]["summary"]
    F.sim.add_comment("acme/api", n, "/fleetbot unhold", user="wendy")
    F.wait_merged("acme/api", n)
    harness.wait_until(lambda: (own_run("acme/api", F.sim.head_sha("acme/api", n)) or {}).get(
        "conclusion") == "success", 15, what="check run success after the merge")
    run = own_run("acme/api", F.sim.head_sha("acme/api", n))
    assert "| ✓ | required-checks |" in run["output"]["summary"], run


def test_why_answers_with_the_trace_and_malformed_commands_get_the_usage():
    n = pr("acme/why")
    F.wait_decision("acme/why", n, "wait", contains="required check")
    F.sim.add_comment("acme/why", n, "/fleetbot why\n/fleetbot opt-out until=2026-13-01 reason=x\n"
                      "> /fleetbot hold\n/fleetbot frobnicate", user="rita")
    body = wait_reply("acme/why", n, "**why**")
    assert "| ✓ | working-hours |" in body and "| ✗ | required-checks |" in body, body
    assert "Usage: `/fleetbot opt-out until=YYYY-MM-DD" in body, body
    assert "frobnicate" in body and "/fleetbot help" in body, body
    assert "**hold**" not in body  # a quoted line is not a command
    assert len(replies("acme/why", n)) == 1  # one reply per comment


def test_opt_out_by_comment_is_recorded_bounded_and_ended_by_opt_in():
    n = pr("acme/quiet")
    green(F, "acme/quiet", n)
    F.sim.add_comment("acme/quiet", n, '/fleetbot opt-out until=2027-06-01 reason="too long"', user="wendy")
    body = wait_reply("acme/quiet", n, "**opt-out**")
    assert "at most 30 days" in body, body
    F.sim.add_comment("acme/quiet", n, '/fleetbot opt-out until=2026-12-10 reason="deploy freeze \\"Q4\\""',
                      user="wendy")
    wait_reply("acme/quiet", n, "**opt-out**: recorded")
    rec = F.redis_cli().hgetall("fb:optout:acme/quiet")
    assert rec["by"] == "wendy" and rec["until"] == "2026-12-10" and rec["reason"] == 'deploy freeze "Q4"', rec
    assert int(rec["at"]) > 0
    d = F.wait_decision("acme/quiet", n, "wait", contains="opted out until 2026-12-10")
    assert "by @wendy" in d["reason"], d
    F.settle()
    assert not F.merges_of("acme/quiet", n)
    log = F.redis_cli().call("XRANGE", "fb:commands:log", "-", "+")
    assert any("opt-out" in e[1] and "acme/quiet" in e[1] for e in log), log
    F.sim.add_comment("acme/quiet", n, "/fleetbot opt-in", user="wendy")
    F.wait_merged("acme/quiet", n)


def test_pause_and_resume_need_a_shift_owner():
    n = pr("acme/svc", labels=(AUTOMERGE, "fleetbot/shift:bump"))
    F.sim.add_comment("acme/svc", n, "/fleetbot pause-shift bump", user="wendy")
    body = wait_reply("acme/svc", n, "**pause-shift**")
    assert "refused" in body and "shift owner" in body and "an org admin" in body, body
    assert "admin permission on acme/.github" in body, body
    F.sim.add_comment("acme/svc", n, '/fleetbot pause-shift bump reason="looking at deploys"', user="tess")
    wait_reply("acme/svc", n, "shift bump is paused")
    green(F, "acme/svc", n)
    d = F.wait_decision("acme/svc", n, "blocked", contains="shift bump is paused by tess: looking at deploys")
    F.settle()
    assert not F.merges_of("acme/svc", n)
    F.sim.add_comment("acme/svc", n, "/fleetbot resume-shift bump", user="rita")
    body = wait_reply("acme/svc", n, "**resume-shift**: refused")
    F.sim.add_comment("acme/svc", n, "/fleetbot resume-shift bump", user="ada")  # config-repo admin
    wait_reply("acme/svc", n, "shift bump is resumed")
    F.wait_merged("acme/svc", n)
    # an org admin may pause any shift, without being an owner or a config-repo admin
    F.sim.set_org_member("acme", "oscar", role="admin")
    m = pr("acme/svc", labels=(AUTOMERGE, "fleetbot/shift:bump"))
    F.sim.add_comment("acme/svc", m, "/fleetbot pause-shift bump", user="oscar")
    wait_reply("acme/svc", m, "shift bump is paused")
    assert F.redis_cli().hgetall("fb:shift:paused:bump")["by"] == "oscar"
    F.sim.add_comment("acme/svc", m, "/fleetbot resume-shift bump", user="oscar")
    wait_reply("acme/svc", m, "shift bump is resumed")


def test_broken_config_fails_the_check_run_on_the_pr_and_on_the_commit():
    n = pr("acme/typo")
    green(F, "acme/typo", n)
    F.wait_merged("acme/typo", n)
    m = pr("acme/typo")
    sha = F.sim.push_to_branch("acme/typo", files={".github/fleetbot.yml": "team: core\nhours: 9-5\n"})
    harness.wait_until(lambda: own_run("acme/typo", sha), 30, what="check run on the pushed commit")
    run = own_run("acme/typo", sha)
    assert run["conclusion"] == "failure" and "1 error" in run["output"]["title"], run
    assert ".github/fleetbot.yml:2" in run["output"]["summary"], run
    green(F, "acme/typo", m)
    F.wait_decision("acme/typo", m, "blocked", contains="invalid policy configuration")
    run = own_run("acme/typo", F.sim.head_sha("acme/typo", m))
    assert run["conclusion"] == "failure" and run["output"]["title"].startswith("Configuration error"), run
    F.settle()
    assert not F.merges_of("acme/typo", m)
    good = F.sim.push_to_branch("acme/typo", files={".github/fleetbot.yml": "team: core\n"})
    harness.wait_until(lambda: own_run("acme/typo", good), 30, what="check run on the fixing commit")
    assert own_run("acme/typo", good)["conclusion"] == "success"
    F.wait_merged("acme/typo", m)


def test_a_broken_org_policy_fails_its_commit_and_every_waiting_pr():
    """A push that breaks the org's fleetbot.yml: a failing check run on that commit in the
    config repo, and every tracked PR of the org looks again at once and blocks, its check
    run failing too; the fixing push lets them merge."""
    n = pr("acme/orgwide")
    F.wait_decision("acme/orgwide", n, "wait", contains="required check")
    bad = F.sim.push_to_branch("acme/.github", files={"fleetbot.yml": ORG + "rate_limits:\n  per_shift_per_hour: lots\n"})
    harness.wait_until(lambda: own_run("acme/.github", bad), 30, what="check run on the config repo commit")
    run = own_run("acme/.github", bad)
    assert run["conclusion"] == "failure" and "fleetbot.yml:" in run["output"]["summary"], run
    d = F.wait_decision("acme/orgwide", n, "blocked", contains="invalid policy configuration")
    head = F.sim.head_sha("acme/orgwide", n)
    harness.wait_until(lambda: (own_run("acme/orgwide", head) or {}).get("conclusion") == "failure", 15,
                       what="the PR's check run failing")
    green(F, "acme/orgwide", n)
    F.settle()
    assert not F.merges_of("acme/orgwide", n)
    good = F.sim.push_to_branch("acme/.github", files={"fleetbot.yml": ORG})
    harness.wait_until(lambda: (own_run("acme/.github", good) or {}).get("conclusion") == "success", 30,
                       what="the fixing commit's check run")
    F.wait_merged("acme/orgwide", n)


def test_owners_are_told_before_an_opt_out_ends():
    """Runs last: it moves the clock. Opted out through Tue 2026-12-01, notice_days 3 (the
    default): the notice comes on Thu 2026-11-26 at 08:00 (the team's window opening), once
    per repository, and the PR merges when the opt-out has ended."""
    n = pr("acme/later")
    m = F.sim.open_pr("acme/later", labels=[AUTOMERGE])
    F.sim.set_file("acme/later", ".github/fleetbot.yml",
                   "opt_out:\n  reason: cluster move\n  expires: 2026-12-01\n")
    F.sim.push_to_branch("acme/later", files={})
    for x in (n, m):
        green(F, "acme/later", x)
        F.wait_decision("acme/later", x, "wait", contains="opted out until 2026-12-01")
    job = "%d|acme/later|%d" % (INST, n)
    notice = 1795680000000  # Thu 2026-11-26 08:00 UTC
    assert int(float(F.redis_cli().call("ZSCORE", "fb:evalq", job))) == notice
    F.settle()
    assert not any("Heads-up" in b for x in (n, m) for b in replies("acme/later", x))
    set_now(notice)
    harness.wait_until(lambda: [b for x in (n, m) for b in replies("acme/later", x) if "Heads-up" in b],
                       30, what="the opt-out notice")
    F.settle()
    notes = [b for x in (n, m) for b in replies("acme/later", x) if "Heads-up" in b]
    assert len(notes) == 1, notes  # one per repository and expiry, not per PR
    assert "ends with 2026-12-01 (reason: cluster move)" in notes[0], notes
    assert "Wed 2026-12-02 00:00 UTC" in notes[0], notes
    assert not F.merges_of("acme/later", n)
    set_now(1796198400000)  # Wed 2026-12-02 08:00 UTC, the team's first working minute after it
    F.wait_merged("acme/later", n)
    F.wait_merged("acme/later", m)


def set_now(ms):
    F.redis_cli().call("SET", "fb:test:clock", str(ms - int(time.time() * 1000)))
    time.sleep(0.4)


if __name__ == "__main__":
    with Fleet(fleetbot_env={"FLEETBOT_NOW": NOW, "FLEETBOT_CLOCK_KEY": "fb:test:clock"}) as F:
        F.sim_repos = set()
        INST = setup_org()
        harness.run_tests()
