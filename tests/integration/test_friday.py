"""Integration, the policy engine's acceptance scenario: the clock starts on Friday
2026-12-04 at 16:50 Europe/Stockholm and a shift's tagged PRs go green across repos of
teams in three zones (Stockholm, New York, Kathmandu, whose weekend is Saturday only), with
2 automerges per hour for the installation. Some merge before 17:00 local; the rest wait
and each merges at the first allowed minute for its team, in rate-limited order; the
following Monday is a holiday for the Stockholm team; an opted-out repo merges only after
its opt-out expires; a held PR waits until unheld; a read-only user's command is refused
with the reason; a malformed config is a failing check run and never a merge. The test
moves the clock of fleetbot with FLEETBOT_CLOCK_KEY: a weekend passes in seconds, and
every instant asserted is fleetbot's own record of when it merged (its policy clock)."""
import datetime
import time
import zoneinfo

import harness
from fleet import AUTOMERGE, Fleet, green, green_repo

STHLM = zoneinfo.ZoneInfo("Europe/Stockholm")
KTM = zoneinfo.ZoneInfo("Asia/Kathmandu")
START = datetime.datetime(2026, 12, 4, 16, 50, tzinfo=STHLM)
CLOCK_KEY = "fb:test:clock"
SHIFT = "fleetbot/shift:bump-lib"
F = None

ORG = """
defaults:
  team: sthlm
teams:
  sthlm:
    timezone: Europe/Stockholm
    hours: "09:00-17:00"
    holidays:
      dates: [2026-12-07]
  nyc:
    timezone: America/New_York
    hours: "09:00-17:00"
  ktm:
    timezone: Asia/Kathmandu
    hours: "09:00-17:00"
    weekend: [sat]
rate_limits:
  per_installation_per_hour: 2
"""


def ms(dt):
    return int(dt.timestamp() * 1000)


def set_now(dt):
    """Moves fleetbot's policy clock to dt (every process re-reads the key each 100 ms)."""
    F.redis_cli().call("SET", CLOCK_KEY, str(ms(dt) - int(time.time() * 1000)))
    time.sleep(0.4)


def merged_at(repo, n):
    """When fleetbot merged it, on its policy clock (the merge registry keeps GitHub's time)."""
    harness.wait_until(lambda: F.decision(repo, n).get("decision") == "merged", 15,
                       what="%s#%d recorded as merged" % (repo, n))
    rec = F.decision(repo, n)
    return datetime.datetime.fromtimestamp(int(rec["evaluated_at"]) / 1000, datetime.timezone.utc)


def within_a_minute_of(repo, n, dt):
    at = merged_at(repo, n)
    assert dt <= at < dt + datetime.timedelta(minutes=1), (repo, n, at, dt)


def repo(name, inst, team):
    green_repo(F, name, installation=inst)
    F.sim.set_file(name, ".github/fleetbot.yml", "team: %s\n" % team)
    F.sim.set_collaborator(name, "wendy", "write")
    F.sim.set_collaborator(name, "rita", "read")


def test_friday_afternoon_to_tuesday_morning():
    inst = F.sim.add_installation(account="acme")
    F.sim.add_repo("acme/.github", installation=inst, default_branch="main")
    F.sim.set_file("acme/.github", "fleetbot.yml", ORG)
    F.sim.set_file("acme/.github", "shifts/bump-lib.yml", "owners: [olga]\n")
    for name, team in (("acme/s1", "sthlm"), ("acme/s2", "sthlm"), ("acme/s3", "sthlm"),
                       ("acme/s5", "sthlm"), ("acme/n1", "nyc"), ("acme/n2", "nyc"),
                       ("acme/k1", "ktm"), ("acme/broken", "sthlm")):
        repo(name, inst, team)
    repo("acme/s4", inst, "sthlm")
    F.sim.set_file("acme/s4", ".github/fleetbot.yml", "team: sthlm\nopt_out:\n  reason: moving "
                   "clusters\n  expires: 2026-12-07\n")
    F.sim.set_file("acme/broken", ".github/fleetbot.yml", "team: sthlm\nhours: \"9 to 5\"\n")
    labels = [AUTOMERGE, SHIFT]
    prs = {name: F.sim.open_pr(name, labels=labels) for name in
           ("acme/s1", "acme/s2", "acme/s4", "acme/broken")}
    prs["acme/s3"] = F.sim.open_pr("acme/s3", labels=labels + ["fleetbot/hold"])

    # Friday 16:50 Stockholm: the Stockholm team's PRs go green; two slots an hour
    for name in ("acme/s1", "acme/s2", "acme/s3", "acme/s4", "acme/broken"):
        green(F, name, prs[name])
    F.wait_merged("acme/s1", prs["acme/s1"])
    F.wait_merged("acme/s2", prs["acme/s2"])
    for name in ("acme/s1", "acme/s2"):
        assert merged_at(name, prs[name]) < datetime.datetime(2026, 12, 4, 17, 0, tzinfo=STHLM)
    F.wait_decision("acme/s3", prs["acme/s3"], "blocked", contains="on hold")
    F.wait_decision("acme/s4", prs["acme/s4"], "wait", contains="opted out until 2026-12-07")
    F.wait_decision("acme/broken", prs["acme/broken"], "blocked", contains=".github/fleetbot.yml:2")
    run = F.sim.own_check_runs("acme/broken", F.sim.head_sha("acme/broken", prs["acme/broken"]))[-1]
    assert run["conclusion"] == "failure" and "Configuration error" in run["output"]["title"], run

    # New York is at work (10:5x local) but the installation's two slots are taken
    for name in ("acme/n1", "acme/n2", "acme/k1"):
        prs[name] = F.sim.open_pr(name, labels=labels)
        green(F, name, prs[name])
    first_slot = min(merged_at(n, prs[n]) for n in ("acme/s1", "acme/s2"))
    d = F.wait_decision("acme/n1", prs["acme/n1"], "wait", contains="automerge")
    F.wait_decision("acme/n2", prs["acme/n2"], "wait", contains="automerge")
    d = F.wait_decision("acme/k1", prs["acme/k1"], "wait", contains="team ktm")
    assert "Sun 2026-12-06 09:00 Asia/Kathmandu" in d["reason"], d

    # a read-only user cannot release the hold
    F.sim.add_comment("acme/s3", prs["acme/s3"], "/fleetbot unhold", user="rita")
    harness.wait_until(lambda: any("refused" in c["body"] and "write permission" in c["body"]
                                   for c in F.sim.comments("acme/s3", prs["acme/s3"])),
                       30, what="the refusal of rita's unhold")

    # after 17:00 Stockholm: s5 goes green and has to wait for the next working day
    set_now(datetime.datetime(2026, 12, 4, 17, 0, 30, tzinfo=STHLM))
    prs["acme/s5"] = F.sim.open_pr("acme/s5", labels=labels)
    green(F, "acme/s5", prs["acme/s5"])
    d = F.wait_decision("acme/s5", prs["acme/s5"], "wait", contains="outside team sthlm's working hours")
    assert "Tue 2026-12-08 09:00 Europe/Stockholm" in d["reason"], d  # Monday is a holiday
    F.settle()
    assert not F.merges_of("acme/n1", prs["acme/n1"]) and not F.merges_of("acme/n2", prs["acme/n2"])

    # the next slots open an hour after the first merges: New York merges then, in order
    slot = first_slot + datetime.timedelta(hours=1)
    set_now(slot)
    F.wait_merged("acme/n1", prs["acme/n1"])
    F.wait_merged("acme/n2", prs["acme/n2"])
    within_a_minute_of("acme/n1", prs["acme/n1"], slot)
    within_a_minute_of("acme/n2", prs["acme/n2"], slot)

    # Saturday: a writer releases the hold; s3 then waits for Stockholm's next working day
    set_now(datetime.datetime(2026, 12, 5, 12, 0, tzinfo=STHLM))
    F.sim.add_comment("acme/s3", prs["acme/s3"], "/fleetbot unhold", user="wendy")
    d = F.wait_decision("acme/s3", prs["acme/s3"], "wait", contains="team sthlm")
    assert "Tue 2026-12-08 09:00 Europe/Stockholm" in d["reason"], d
    F.settle()
    assert not F.merges_of("acme/k1", prs["acme/k1"])  # Kathmandu works on Sunday

    # Sunday 09:00 Kathmandu
    ktm_open = datetime.datetime(2026, 12, 6, 9, 0, tzinfo=KTM)
    set_now(ktm_open)
    F.wait_merged("acme/k1", prs["acme/k1"])
    within_a_minute_of("acme/k1", prs["acme/k1"], ktm_open)

    # Monday 09:00 Stockholm is a holiday: nothing of Stockholm's merges
    set_now(datetime.datetime(2026, 12, 7, 9, 0, tzinfo=STHLM))
    F.settle(2.0)
    for name in ("acme/s3", "acme/s4", "acme/s5"):
        assert not F.merges_of(name, prs[name]), name

    # Tuesday 09:00: s3, s4 (its opt-out ended with Monday) and s5 are due; two slots an hour
    tue = datetime.datetime(2026, 12, 8, 9, 0, tzinfo=STHLM)
    set_now(tue)
    due = ("acme/s3", "acme/s4", "acme/s5")
    harness.wait_until(lambda: sum(1 for n in due if F.merges_of(n, prs[n])) == 2, 30,
                       what="two of the three Tuesday PRs merged")
    F.settle()
    first = [n for n in due if F.merges_of(n, prs[n])]
    last = [n for n in due if not F.merges_of(n, prs[n])][0]
    for name in first:
        within_a_minute_of(name, prs[name], tue)
    d = F.wait_decision(last, prs[last], "wait", contains="automerge")
    next_slot = min(merged_at(n, prs[n]) for n in first) + datetime.timedelta(hours=1)
    set_now(next_slot)
    F.wait_merged(last, prs[last])
    within_a_minute_of(last, prs[last], next_slot)

    # the malformed config never became a merge, and every other PR merged exactly once
    assert not F.merges_of("acme/broken", prs["acme/broken"])
    for name, n in prs.items():
        if name != "acme/broken":
            assert len(F.merges_of(name, n)) == 1, name


if __name__ == "__main__":
    now = START.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with Fleet(fleetbot_env={"FLEETBOT_NOW": now, "FLEETBOT_CLOCK_KEY": CLOCK_KEY}) as F:
        harness.run_tests()
