"""Integration: the policy files, read through the contents API, decide. With the clock
at Tuesday 2026-11-24 10:00 UTC: a repo of a team whose night window opens at 22:00 waits
for exactly that instant without fetching its checks; an opted-out repo, a frozen repo
and a recommendation shift are not merged, each saying why; an invalid repo config is a
visible error with its line and never a merge; a repo whose team is at work merges."""
import json
import os
import subprocess

import harness
from fleet import AUTOMERGE, Fleet, green, green_repo

NOW = "2026-11-24T10:00:00Z"
NOW_MS = 1795514400000
F = None

ORG = """
defaults:
  team: core
teams:
  core:
    timezone: UTC
    hours: "09:00-17:00"
  night:
    timezone: UTC
    hours: "22:00-06:00"
"""


def setup_org():
    inst = F.sim.add_installation(account="acme")
    F.sim.add_repo("acme/.github", installation=inst, default_branch="main")
    F.sim.set_file("acme/.github", "fleetbot.yml", ORG)
    F.sim.set_file("acme/.github", "shifts/suggest.yml", "owners: [alice]\nautomerge: false\n")
    return inst


def repo(name, inst, config=None):
    green_repo(F, name, installation=inst)
    if config is not None:
        F.sim.set_file(name, ".github/fleetbot.yml", config)
    n = F.sim.open_pr(name, labels=[AUTOMERGE])
    return n


def test_team_at_work_merges():
    n = repo("acme/api", INST)
    green(F, "acme/api", n)
    F.wait_merged("acme/api", n)
    trace = json.loads(F.decision("acme/api", n)["trace"])
    hours = [g for g in trace["gates"] if g["gate"] == "working-hours"][0]
    assert hours["verdict"] == "pass" and "team core" in hours["reason"], hours


def test_night_team_waits_for_its_window_without_reading_checks():
    n = repo("acme/batch", INST, "team: night\n")
    green(F, "acme/batch", n)
    d = F.wait_decision("acme/batch", n, "wait", contains="outside team night's working hours")
    assert "Tue 2026-11-24 22:00 UTC" in d["reason"], d
    F.settle()
    assert not F.merges_of("acme/batch", n)
    job = "%d|acme/batch|%d" % (INST, n)
    score = F.redis_cli().call("ZSCORE", "fb:evalq", job)
    assert score is not None and int(float(score)) == NOW_MS + 12 * 3600 * 1000, score
    checks = F.sim.calls("GET", r"^/repos/acme/batch/commits/")
    assert checks == [], checks
    out = subprocess.run([harness.fleetbot_bin(), "explain", "acme/batch#%d" % n], capture_output=True,
                         text=True, env=dict(os.environ, FLEETBOT_REDIS_URL=F.redis.url), timeout=30)
    assert out.returncode == 0, out
    assert "decision: wait" in out.stdout and "next look: 2026-11-24T22:00:00Z" in out.stdout, out.stdout
    assert "… working-hours" in out.stdout and "- required-checks  not evaluated" in out.stdout, out.stdout
    missing = subprocess.run([harness.fleetbot_bin(), "explain", "acme/batch#999"], capture_output=True,
                             text=True, env=dict(os.environ, FLEETBOT_REDIS_URL=F.redis.url), timeout=30)
    assert missing.returncode == 1 and "no decision recorded" in missing.stderr, missing


def test_opt_out_freeze_and_recommendation_are_not_merged():
    n1 = repo("acme/quiet", INST, "opt_out:\n  reason: migrating clusters\n  expires: 2026-12-15\n")
    n2 = repo("acme/frozen", INST, "freezes:\n  - from: 2026-11-24T00:00:00Z\n"
                                   "    to: 2026-11-25T00:00:00Z\n    reason: release week\n")
    green_repo(F, "acme/suggested", installation=INST)
    n3 = F.sim.open_pr("acme/suggested", labels=[AUTOMERGE, "fleetbot/shift:suggest"])
    for r, n in (("acme/quiet", n1), ("acme/frozen", n2), ("acme/suggested", n3)):
        green(F, r, n)
    F.wait_decision("acme/quiet", n1, "wait", contains="opted out until 2026-12-15: migrating clusters")
    F.wait_decision("acme/frozen", n2, "wait", contains="this repository's freeze in effect: release week")
    d = F.wait_decision("acme/suggested", n3, "blocked", contains="shift suggest only recommends")
    trace = json.loads(d["trace"])
    checks = [g for g in trace["gates"] if g["gate"] == "required-checks"][0]
    assert checks["verdict"] == "pass", checks  # it still says what it would need
    F.settle()
    for r, n in (("acme/quiet", n1), ("acme/frozen", n2), ("acme/suggested", n3)):
        assert not F.merges_of(r, n), r


def test_invalid_repo_config_is_an_error_with_its_line_and_never_a_merge():
    n = repo("acme/typo", INST, "team: core\nhours: \"9 to 5\"\n")
    green(F, "acme/typo", n)
    d = F.wait_decision("acme/typo", n, "blocked", contains="invalid policy configuration")
    assert ".github/fleetbot.yml:2: hours must be" in d["reason"], d
    F.settle()
    assert not F.merges_of("acme/typo", n)


def test_rate_limit_lets_one_merge_and_schedules_the_next_slot():
    inst = F.sim.add_installation(account="busy")
    F.sim.add_repo("busy/.github", installation=inst, default_branch="main")
    F.sim.set_file("busy/.github", "fleetbot.yml", "teams:\n  core:\n    timezone: UTC\n"
                   "defaults:\n  team: core\nrate_limits:\n  per_installation_per_hour: 1\n")
    prs = [("busy/a", repo("busy/a", inst)), ("busy/b", repo("busy/b", inst))]
    for r, n in prs:
        green(F, r, n)
    harness.wait_until(lambda: sum(len(F.merges_of(r, n)) for r, n in prs) == 1, 30,
                       what="one of the two PRs merged")
    waiting = [(r, n) for r, n in prs if not F.merges_of(r, n)][0]
    # either the gate saw the other merge, or the atomic reservation refused this one
    d = F.wait_decision(waiting[0], waiting[1], "wait", contains="automerge")
    F.settle()
    assert sum(len(F.merges_of(r, n)) for r, n in prs) == 1
    job = "%d|%s|%d" % (inst, waiting[0], waiting[1])
    due = int(float(F.redis_cli().call("ZSCORE", "fb:evalq", job)))
    slot = [int(float(x)) for x in F.redis_cli().call("ZRANGE", "fb:rl:inst:%d" % inst, 0, -1,
                                                      "WITHSCORES")[1::2]]
    assert len(slot) == 1 and due == slot[0] + 3600 * 1000, (due, slot, d)


def test_a_pushed_config_change_applies_at_once():
    n = repo("acme/later", INST, "opt_out:\n  reason: moving\n  expires: 2026-12-31\n")
    green(F, "acme/later", n)
    F.wait_decision("acme/later", n, "wait", contains="opted out until 2026-12-31")
    # the owners opt back in by pushing the file; every replica drops its cached copy
    F.sim.push_to_branch("acme/later", files={".github/fleetbot.yml": "team: core\n"})
    F.wait_merged("acme/later", n, timeout=30)  # far sooner than the 5-minute cache


ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:f\r\n"
       "DTSTART;VALUE=DATE:20201124\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:Founders Day\r\n"
       "END:VEVENT\r\nEND:VCALENDAR\r\n")


def test_holiday_from_a_calendar_in_the_config_repo():
    inst = F.sim.add_installation(account="holi")
    F.sim.add_repo("holi/.github", installation=inst, default_branch="main")
    F.sim.set_file("holi/.github", "holidays/team.ics", ICS)
    F.sim.set_file("holi/.github", "fleetbot.yml", "defaults:\n  team: core\nteams:\n  core:\n"
                   "    timezone: UTC\n    holidays:\n      calendars: [holidays/team.ics]\n"
                   "  remote:\n    timezone: UTC\n    holidays:\n"
                   "      calendars: [\"https://example.com/h.ics\"]\n")
    n = repo("holi/app", inst)
    green(F, "holi/app", n)
    d = F.wait_decision("holi/app", n, "wait",
                        contains="2026-11-24 is a holiday for team core (Founders Day)")
    assert "Wed 2026-11-25 09:00 UTC" in d["reason"], d
    m = repo("holi/far", inst, "team: remote\n")
    green(F, "holi/far", m)
    # an https calendar that cannot be fetched (no DNS here) is a visible configuration error
    d = F.wait_decision("holi/far", m, "blocked", contains="holiday calendar https://example.com/h.ics could not be fetched")
    F.settle()
    assert not F.merges_of("holi/app", n) and not F.merges_of("holi/far", m)


def test_many_prs_waking_together_read_the_org_file_once():
    """While one read of the org's fleetbot.yml is in flight (delayed 1.5 s), the other
    evaluations that need it share that answer instead of sending their own."""
    inst = F.sim.add_installation(account="burst")
    F.sim.add_repo("burst/.github", installation=inst, default_branch="main")
    F.sim.set_file("burst/.github", "fleetbot.yml", "defaults:\n  team: core\nteams:\n  core:\n"
                   "    timezone: UTC\n")
    F.sim.delay_next("GET", r"^/repos/burst/\.github/contents/fleetbot\.yml$", 1.5)
    prs = []
    for i in range(6):
        name = "burst/r%d" % i
        green_repo(F, name, installation=inst)
        prs.append((name, F.sim.open_pr(name, labels=[AUTOMERGE])))
    for name, n in prs:
        green(F, name, n)
    for name, n in prs:
        F.wait_merged(name, n)
    reads = F.sim.calls("GET", r"^/repos/burst/\.github/contents/fleetbot\.yml$")
    assert len(reads) == 1, reads


if __name__ == "__main__":
    with Fleet(fleetbot_env={"FLEETBOT_NOW": NOW}) as F:
        INST = setup_org()
        harness.run_tests()
