"""Integration: critical repositories. The org marks tier `critical` with narrower hours
(10:00-15:00 UTC), an approving review of the head, and "after the lower tiers": with the
clock at Tuesday 2026-11-24 09:00 UTC, the shift's PR in a standard repo merges at once
while the critical repo's PR waits for 10:00 exactly; then it needs an approval (a
request for changes is not one); then it waits for the shift's open PR in the lower tier;
once that merges, the critical PR is woken by that merge and merges."""
import time

import harness
from fleet import AUTOMERGE, Fleet, green, green_repo

NOW = "2026-11-24T09:00:00Z"
T10 = 1795514400000  # Tue 2026-11-24 10:00 UTC
SHIFT = "fleetbot/shift:mig"
F = None

ORG = """
defaults:
  team: core
teams:
  core:
    timezone: UTC
    hours: "08:00-18:00"
critical:
  tiers: [critical]
  require_approval: true
  hours: "10:00-15:00"
  after_lower_tiers: true
"""


def set_now(ms):
    F.redis_cli().call("SET", "fb:test:clock", str(ms - int(time.time() * 1000)))
    time.sleep(0.4)


def test_a_critical_repo_waits_for_its_hours_an_approval_and_the_lower_tiers():
    inst = F.sim.add_installation(account="acme")
    F.sim.add_repo("acme/.github", installation=inst, default_branch="main")
    F.sim.set_file("acme/.github", "fleetbot.yml", ORG)
    F.sim.set_file("acme/.github", "shifts/mig.yml", "owners: [olga]\n")
    for name, tier in (("acme/web", "standard"), ("acme/pay", "standard"), ("acme/core", "critical")):
        green_repo(F, name, installation=inst)
        F.sim.set_file(name, ".github/fleetbot.yml", "tier: %s\n" % tier)
    web = F.sim.open_pr("acme/web", labels=[AUTOMERGE, SHIFT])
    pay = F.sim.open_pr("acme/pay", labels=[AUTOMERGE, SHIFT, "fleetbot/hold"])
    core = F.sim.open_pr("acme/core", labels=[AUTOMERGE, SHIFT])
    for name, n in (("acme/web", web), ("acme/pay", pay), ("acme/core", core)):
        green(F, name, n)
    F.wait_merged("acme/web", web)  # a standard tier: inside the team's hours, no approval
    F.wait_decision("acme/pay", pay, "blocked", contains="on hold")
    d = F.wait_decision("acme/core", core, "wait", contains="merges only 10:00-15:00")
    assert "Tue 2026-11-24 10:00 UTC" in d["reason"], d
    job = "%d|acme/core|%d" % (inst, core)
    # (the standard repo's merge woke it once more; it settles on 10:00 exactly)
    harness.wait_until(lambda: int(float(F.redis_cli().call("ZSCORE", "fb:evalq", job) or 0)) == T10,
                       15, what="the critical PR due at 10:00")

    set_now(T10)
    F.wait_decision("acme/core", core, "blocked", contains="needs an approving review")
    F.sim.add_review("acme/core", core, user="alice", state="CHANGES_REQUESTED")
    F.settle()
    F.wait_decision("acme/core", core, "blocked", contains="needs an approving review")
    F.sim.add_review("acme/core", core, user="alice", state="APPROVED")
    d = F.wait_decision("acme/core", core, "wait", contains="lower tiers")
    assert "1 PR " in d["reason"], d
    F.settle()
    assert not F.merges_of("acme/core", core)

    # the lower tier's last PR merges: that merge wakes the critical PR
    F.sim.remove_label("acme/pay", pay, "fleetbot/hold", by="wendy")
    F.wait_merged("acme/pay", pay)
    F.wait_merged("acme/core", core)
    assert len(F.merges_of("acme/core", core)) == 1


if __name__ == "__main__":
    with Fleet(fleetbot_env={"FLEETBOT_NOW": NOW, "FLEETBOT_CLOCK_KEY": "fb:test:clock"}) as F:
        harness.run_tests()
