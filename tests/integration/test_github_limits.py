"""Integration: fleetbot copes with what real GitHub does to a busy App - a secondary
rate limit with retry-after on the merge call, an installation whose primary budget is
spent until a reset, and installation tokens that expire (or are revoked) under it. In
each case the PR is still merged exactly once, and nothing is sent while GitHub said to
wait."""
import time

import harness
from fleet import AUTOMERGE, MERGE_PATH, Fleet, green, green_repo

F = None


def test_secondary_limit_on_merge_waits_for_retry_after():
    green_repo(F, "acme/secondary")
    n = F.sim.open_pr("acme/secondary", labels=[AUTOMERGE])
    F.sim.secondary_limit_next(count=1, method="PUT", path_regex=MERGE_PATH, retry_after=3)
    green(F, "acme/secondary", n)
    harness.wait_until(lambda: [c for c in F.sim.calls("PUT", MERGE_PATH) if c.status == 403], 30,
                       what="the merge call refused with a secondary limit")
    refused_at = time.monotonic()
    F.wait_merged("acme/secondary", n)
    waited = time.monotonic() - refused_at
    assert waited >= 2.5, "merged %.1fs after a retry-after of 3s" % waited
    # a call is logged once answered, a moment after the merge itself is recorded
    def puts():
        return [c.status for c in F.sim.calls("PUT", MERGE_PATH) if "/acme/secondary/" in c.path]
    harness.wait_until(lambda: len(puts()) >= 2, 10, what="the second merge call logged")
    F.settle()
    assert puts() == [403, 200], puts()


def test_spent_primary_budget_waits_for_the_reset():
    inst = green_repo(F, "acme/budget")
    n = F.sim.open_pr("acme/budget", labels=[AUTOMERGE])
    F.wait_decision("acme/budget", n, "wait", contains="not reported yet")
    F.sim.wait_webhooks_idle(10)
    F.sim.set_rate_limit(inst, remaining=0, reset_in=4)
    green(F, "acme/budget", n)
    harness.wait_until(lambda: [c for c in F.sim.calls() if c.installation_id == inst and c.status == 403],
                       30, what="a call refused for the spent budget")
    refused = len([c for c in F.sim.calls() if c.installation_id == inst and c.status == 403])
    F.wait_merged("acme/budget", n)
    after = len([c for c in F.sim.calls() if c.installation_id == inst and c.status == 403])
    # the limit is remembered (and shared through Redis): no hammering until the reset
    assert after - refused <= 1, (refused, after)
    assert len(F.merges_of("acme/budget", n)) == 1


def test_expired_tokens_are_replaced():
    green_repo(F, "acme/tokens")
    n = F.sim.open_pr("acme/tokens", labels=[AUTOMERGE])
    F.wait_decision("acme/tokens", n, "wait", contains="not reported yet")
    issued = F.sim.tokens_issued
    F.sim.expire_tokens()
    green(F, "acme/tokens", n)
    F.wait_merged("acme/tokens", n)
    assert F.sim.tokens_issued > issued
    assert len(F.merges_of("acme/tokens", n)) == 1


if __name__ == "__main__":
    with Fleet() as F:
        harness.run_tests()
