"""Integration: nothing accepted is lost and nothing is merged twice - a 5xx on the merge
call (whether or not GitHub merged), a worker killed with SIGKILL mid-evaluation, a Redis
killed and restarted with accepted deliveries not yet processed, and a delivery answered
503 while Redis was down brought back by the recovery job. Each scenario has its own
fleet, since each breaks something."""
import harness
from fleet import AUTOMERGE, MERGE_PATH, Fleet, green, green_repo


def test_5xx_after_github_merged_is_recorded_not_repeated():
    with Fleet() as f:
        green_repo(f, "acme/flaky")
        n = f.sim.open_pr("acme/flaky", labels=[AUTOMERGE])
        f.sim.fail_next("PUT", MERGE_PATH, 502, apply=True)  # GitHub merges, then answers 502
        sha = green(f, "acme/flaky", n)
        merges = f.wait_merged("acme/flaky", n)
        r = f.redis_cli()
        harness.wait_until(lambda: r.hgetall("fb:merge:acme/flaky#%d" % n).get("merge_sha"), 30,
                           what="merge recorded after re-reading the PR")
        f.settle(3)
        assert len(f.merges_of("acme/flaky", n)) == 1
        puts = f.sim.calls("PUT", MERGE_PATH)
        assert [c.status for c in puts] == [502], "merge was called again: %r" % (puts,)
        rec = r.hgetall("fb:merge:acme/flaky#%d" % n)
        assert rec["merge_sha"] == merges[0]["merge_commit_sha"] and rec["head_sha"] == sha, rec
        assert r.xlen("fb:merges") == 1


def test_5xx_without_merge_is_retried_after_a_re_read():
    with Fleet() as f:
        green_repo(f, "acme/outage")
        n = f.sim.open_pr("acme/outage", labels=[AUTOMERGE])
        f.sim.fail_next("PUT", MERGE_PATH, 503, apply=False)  # GitHub did not merge
        green(f, "acme/outage", n)
        f.wait_merged("acme/outage", n)
        f.settle(2)
        assert len(f.merges_of("acme/outage", n)) == 1
        calls = [c for c in f.sim.calls() if c.path.startswith("/repos/acme/outage/pulls/")]
        statuses = [(c.method, c.status) for c in calls if c.method == "PUT"]
        assert statuses == [("PUT", 503), ("PUT", 200)], statuses
        i503 = next(i for i, c in enumerate(calls) if c.method == "PUT" and c.status == 503)
        reread = [c for c in calls[i503 + 1:] if c.method == "GET" and c.path.endswith("/%d" % n)]
        assert reread, "the PR was not read again between the 503 and the second merge call"


def test_worker_killed_mid_evaluation_is_taken_over_exactly_once():
    fast = {"FLEETBOT_LEASE_MS": "3000", "FLEETBOT_RECLAIM_MS": "2000"}
    with Fleet(fleetbot_env=fast) as f:
        green_repo(f, "acme/crash")
        n = f.sim.open_pr("acme/crash", labels=[AUTOMERGE])
        # the merge call hangs long enough to SIGKILL the worker while it waits for GitHub;
        # GitHub still performs the merge, so the replica must find it done, not redo it
        f.sim.delay_next("PUT", MERGE_PATH, 3.0)
        green(f, "acme/crash", n)
        harness.wait_until(lambda: f.sim.arrivals("PUT", MERGE_PATH), 30, what="merge in flight")
        f.bot.kill()
        f.bots.clear()
        f.start_bot(port=f.port, name="replica-2")  # a second replica takes over
        harness.wait_until(lambda: f.merges_of("acme/crash", n), 30, what="merged by GitHub")
        r = f.redis_cli()
        harness.wait_until(lambda: r.hgetall("fb:merge:acme/crash#%d" % n).get("merge_sha"), 30,
                           what="the replica recorded the merge")
        f.settle(4)
        assert len(f.merges_of("acme/crash", n)) == 1
        assert len(f.sim.calls("PUT", MERGE_PATH)) == 1, f.sim.calls("PUT", MERGE_PATH)
        assert r.xlen("fb:merges") == 1


def test_worker_killed_mid_delivery_is_reclaimed():
    fast = {"FLEETBOT_RECLAIM_MS": "2000", "FLEETBOT_LEASE_MS": "3000"}
    with Fleet(fleetbot_env=dict(fast, FLEETBOT_ROLES="receiver")) as f:
        green_repo(f, "acme/reclaim")
        n = f.sim.open_pr("acme/reclaim", labels=[AUTOMERGE])
        green(f, "acme/reclaim", n)
        f.sim.wait_webhooks_idle(15)
        r = f.redis_cli()
        queued = r.xlen("fb:events")
        assert queued >= 3, queued
        # a worker whose GitHub calls all hang takes deliveries and is killed holding them
        f.sim.delay_next("GET", r"^/repos/acme/reclaim/", 20.0, count=50)
        doomed = f.start_bot(extra_env={"FLEETBOT_ROLES": "worker"}, name="doomed")
        harness.wait_until(lambda: f.sim.arrivals("GET", r"^/repos/acme/reclaim/"), 30,
                           what="the first worker busy with the PR")
        doomed.kill()
        f.sim.clear_faults()
        f.start_bot(extra_env={"FLEETBOT_ROLES": "worker"}, name="survivor")
        f.wait_merged("acme/reclaim", n)
        harness.wait_until(lambda: r.xlen("fb:events") == 0, 30, what="every delivery acknowledged")
        f.settle(2)
        assert len(f.merges_of("acme/reclaim", n)) == 1
        assert r.xlen("fb:dead") == 0, r.xrange("fb:dead")


def test_redis_restart_loses_no_accepted_delivery():
    with Fleet(fleetbot_env={"FLEETBOT_ROLES": "receiver"}) as f:
        green_repo(f, "acme/durable")
        n = f.sim.open_pr("acme/durable", labels=[AUTOMERGE])
        sha = green(f, "acme/durable", n)
        f.sim.wait_webhooks_idle(15)
        accepted = [d for d in f.sim.deliveries() if d["status_code"] == 202]
        assert len(accepted) >= 3, f.sim.deliveries()
        f.redis.kill()  # SIGKILL: only what the AOF holds survives
        f.sim.set_status("acme/durable", sha, "ci/extra", "success")
        f.sim.wait_webhooks_idle(15)
        assert f.sim.deliveries()[-1]["status_code"] == 503, f.sim.deliveries()[-1]
        f.redis.start()
        harness.wait_until(lambda: f.bot.get("/readyz")[0] == 200, 30, what="ready after restart")
        r = f.redis_cli()
        assert r.xlen("fb:events") == len(accepted), (r.xlen("fb:events"), len(accepted))
        worker = f.start_bot(extra_env={"FLEETBOT_ROLES": "worker"}, name="late-worker")
        f.wait_merged("acme/durable", n)
        harness.wait_until(lambda: r.xlen("fb:events") == 0, 30, what="every accepted delivery processed")
        assert r.xlen("fb:dead") == 0, r.xrange("fb:dead")
        assert worker.alive()


def test_recovery_job_redelivers_what_was_refused():
    with Fleet(fleetbot_env={"FLEETBOT_REDELIVER_MS": "1500"}) as f:
        green_repo(f, "acme/recover")
        n = f.sim.open_pr("acme/recover", labels=[AUTOMERGE])
        # fleetbot waits for the checks, with no timer of its own: only an event wakes it
        f.wait_decision("acme/recover", n, "wait", contains="not reported yet")
        f.sim.wait_webhooks_idle(15)
        f.redis.kill()
        sha = green(f, "acme/recover", n)  # every check delivery is answered 503
        f.sim.wait_webhooks_idle(15)
        refused = {d["guid"] for d in f.sim.deliveries() if d["status_code"] == 503}
        assert refused, f.sim.deliveries()
        f.redis.start()
        # GitHub never retries by itself: only the recovery job can bring these back
        f.wait_merged("acme/recover", n, timeout=60)
        assert f.merges_of("acme/recover", n)[0]["sha_sent"] == sha

        def all_redelivered():
            return refused <= {d["guid"] for d in f.sim.deliveries()
                               if d["redelivery"] and d["status_code"] in (200, 202)}
        harness.wait_until(all_redelivered, 30, what="every refused delivery redelivered")
        f.settle(3)  # the job keeps running: it must not ask twice for the same delivery
        attempts = f.sim.calls("POST", r"^/app/hook/deliveries/\d+/attempts$")
        assert len(attempts) == len(refused), (attempts, refused)
        assert len(f.merges_of("acme/recover", n)) == 1


if __name__ == "__main__":
    harness.run_tests()
