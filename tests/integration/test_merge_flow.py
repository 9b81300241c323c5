"""Integration: the first merge rule end to end, through a real redis-server, the
simulated GitHub (real HTTP, signed webhooks) and the fleetbot binary. A tagged, open,
green PR on the default branch is merged exactly once with the sha guard; anything else
is not, and the recorded decision says why. One fleet serves every scenario; each
scenario uses its own repository."""
import harness
from fleet import AUTOMERGE, MERGE_PATH, Fleet, green, green_repo

SHIFT = "fleetbot/shift:bump-libfoo"
F = None


def test_green_tagged_pr_is_merged_once_with_sha_guard():
    green_repo(F, "acme/api")
    n = F.sim.open_pr("acme/api", labels=[AUTOMERGE, SHIFT])
    sha = green(F, "acme/api", n)
    F.wait_merged("acme/api", n)
    F.settle()
    merges = F.merges_of("acme/api", n)
    assert len(merges) == 1, merges
    assert merges[0]["sha_sent"] == sha, merges
    rec = F.decision("acme/api", n)
    assert rec["decision"] == "merged", rec
    r = F.redis_cli()
    merge = r.hgetall("fb:merge:acme/api#%d" % n)
    assert merge["head_sha"] == sha and merge["shift"] == "bump-libfoo", merge
    assert merge["merge_sha"] == merges[0]["merge_commit_sha"] and merge["by"] == "fleetbot", merge
    entries = [e for _, e in r.xrange("fb:merges") if e["repo"] == "acme/api"]
    assert len(entries) == 1, entries
    assert entries[0]["merge_sha"] == merges[0]["merge_commit_sha"], entries


def test_failing_required_check_blocks():
    green_repo(F, "acme/billing", ruleset=())
    n = F.sim.open_pr("acme/billing", labels=[AUTOMERGE])
    sha = F.sim.head_sha("acme/billing", n)
    F.sim.complete_check("acme/billing", sha, "build", conclusion="failure")
    d = F.wait_decision("acme/billing", n, "blocked", contains='"build" (failure) failed')
    F.settle()
    assert not F.merges_of("acme/billing", n)
    assert "required-checks" in d["trace"], d


def test_missing_required_check_waits_then_merges():
    green_repo(F, "acme/search")  # requires build (protection) and test (ruleset)
    n = F.sim.open_pr("acme/search", labels=[AUTOMERGE])
    sha = green(F, "acme/search", n, names=("build",))
    F.wait_decision("acme/search", n, "wait", contains='"test" (not reported yet)')
    F.settle()
    assert not F.merges_of("acme/search", n)
    F.sim.complete_check("acme/search", sha, "test", conclusion="success")
    assert F.wait_merged("acme/search", n)[0]["sha_sent"] == sha


def test_commit_status_counts_as_a_check():
    green_repo(F, "acme/legacy", protection=("ci/jenkins",), ruleset=())
    n = F.sim.open_pr("acme/legacy", labels=[AUTOMERGE])
    sha = F.sim.head_sha("acme/legacy", n)
    F.sim.set_status("acme/legacy", sha, "ci/jenkins", "pending")
    F.wait_decision("acme/legacy", n, "wait", contains="ci/jenkins")
    F.settle()
    assert not F.merges_of("acme/legacy", n)
    F.sim.set_status("acme/legacy", sha, "ci/jenkins", "success")
    assert F.wait_merged("acme/legacy", n)[0]["sha_sent"] == sha


def test_fork_pr_check_runs_without_pull_requests():
    green_repo(F, "acme/forked")
    n = F.sim.open_pr("acme/forked", labels=[AUTOMERGE], fork=True)
    sha = green(F, "acme/forked", n)
    assert F.wait_merged("acme/forked", n)[0]["sha_sent"] == sha


def test_untagged_pr_is_left_alone_without_api_calls():
    green_repo(F, "acme/untagged")
    n = F.sim.open_pr("acme/untagged", labels=["dependencies"])
    green(F, "acme/untagged", n)
    F.settle(2)
    assert not F.merges_of("acme/untagged", n)
    calls = F.sim.calls(path_regex=r"^/repos/acme/untagged/")
    assert calls == [], calls


def test_pr_to_another_branch_is_not_merged():
    green_repo(F, "acme/branches")
    n = F.sim.open_pr("acme/branches", labels=[AUTOMERGE], base="release")
    green(F, "acme/branches", n)
    F.wait_decision("acme/branches", n, "blocked", contains="default branch")
    F.settle()
    assert not F.merges_of("acme/branches", n)


def test_draft_and_hold_block_until_changed():
    green_repo(F, "acme/drafty")
    n = F.sim.open_pr("acme/drafty", labels=[AUTOMERGE], draft=True)
    green(F, "acme/drafty", n)
    F.wait_decision("acme/drafty", n, "blocked", contains="draft")
    F.sim.add_label("acme/drafty", n, "fleetbot/hold")
    F.sim.set_draft("acme/drafty", n, False)
    F.wait_decision("acme/drafty", n, "blocked", contains="hold")
    F.settle()
    assert not F.merges_of("acme/drafty", n)
    F.sim.remove_label("acme/drafty", n, "fleetbot/hold")
    F.wait_merged("acme/drafty", n)


def test_head_moved_after_green_is_not_merged_on_old_sha():
    green_repo(F, "acme/moving")
    n = F.sim.open_pr("acme/moving", labels=[AUTOMERGE])
    F.sim.pause_webhooks()
    old = green(F, "acme/moving", n)
    new = F.sim.push_to_pr("acme/moving", n)
    F.sim.resume_webhooks(order="fifo")
    F.wait_decision("acme/moving", n, "wait", contains="not reported yet")
    F.settle()
    assert not F.merges_of("acme/moving", n)
    green(F, "acme/moving", n)
    merges = F.wait_merged("acme/moving", n)
    assert merges[0]["sha_sent"] == new != old, (merges, old, new)
    F.settle()
    assert len(F.merges_of("acme/moving", n)) == 1


def test_head_moving_during_merge_gets_409_and_new_head_merges():
    green_repo(F, "acme/race")
    n = F.sim.open_pr("acme/race", labels=[AUTOMERGE])
    merge_path = r"^/repos/acme/race/pulls/\d+/merge$"
    F.sim.delay_next("PUT", merge_path, 2.0)
    old = green(F, "acme/race", n)
    harness.wait_until(lambda: F.sim.arrivals("PUT", merge_path), 30, what="merge call in flight")
    new = F.sim.push_to_pr("acme/race", n)
    harness.wait_until(lambda: [c for c in F.sim.calls("PUT", merge_path) if c.status == 409], 30,
                       what="409 answered to the merge on the old head")
    F.settle()
    assert not F.merges_of("acme/race", n)
    green(F, "acme/race", n)
    merges = F.wait_merged("acme/race", n)
    assert merges[0]["sha_sent"] == new != old, (merges, old, new)
    F.settle()
    assert len(F.merges_of("acme/race", n)) == 1


def test_mergeable_null_is_read_again():
    green_repo(F, "acme/slowmerge")
    n = F.sim.open_pr("acme/slowmerge", labels=[AUTOMERGE])
    green(F, "acme/slowmerge", n)
    F.wait_merged("acme/slowmerge", n)
    gets = F.sim.calls("GET", r"^/repos/acme/slowmerge/pulls/\d+$")
    # the simulated GitHub answers mergeable: null to the first read of every new head
    assert len(gets) >= 2, gets


def test_duplicate_and_out_of_order_deliveries_are_harmless():
    green_repo(F, "acme/dupes")
    F.sim.pause_webhooks()
    n = F.sim.open_pr("acme/dupes", labels=[AUTOMERGE])
    green(F, "acme/dupes", n)
    F.sim.resume_webhooks(order="reverse")
    F.wait_merged("acme/dupes", n)
    mine = [d for d in F.sim.deliveries() if d["installation_id"] == F.sim.installation_of("acme/dupes")]
    for d in mine:
        F.sim.redeliver(d["guid"])
    F.settle(2)
    assert len(F.merges_of("acme/dupes", n)) == 1
    redelivered = [d for d in F.sim.deliveries() if d["redelivery"]
                   and d["installation_id"] == F.sim.installation_of("acme/dupes")]
    assert len(redelivered) == len(mine), redelivered
    assert all(d["status_code"] == 200 for d in redelivered), redelivered


def test_own_echoed_events_are_ignored():
    green_repo(F, "acme/echo")
    n = F.sim.open_pr("acme/echo", labels=[AUTOMERGE])
    green(F, "acme/echo", n)
    F.wait_merged("acme/echo", n)
    F.settle()
    log = F.logs(10 ** 7)
    # the merge's own pull_request.closed and push carry the app as sender
    assert "own event ignored" in log, log[-3000:]


def test_installation_events_are_recorded():
    inst = F.sim.add_installation(account="globex")
    F.sim.add_repo("globex/site", installation=inst, default_branch="main")
    r = F.redis_cli()
    harness.wait_until(lambda: r.call("SISMEMBER", "fb:installations", str(inst)) == 1, 15,
                       what="installation recorded")
    harness.wait_until(lambda: r.call("SISMEMBER", "fb:installation:%d:repos" % inst, "globex/site") == 1,
                       15, what="repository recorded")
    F.sim.remove_repo("globex/site")
    harness.wait_until(lambda: r.call("SISMEMBER", "fb:installation:%d:repos" % inst, "globex/site") == 0,
                       15, what="repository removal recorded")


if __name__ == "__main__":
    with Fleet() as F:
        harness.run_tests()
