"""Benchmark (prints figures; not a test): the cost of correlating one execution event
against many registered merges, and GitHub API calls per execution event.

REPOS repositories (default 1000) each get MERGES commits on main (default 10, so 10,000
registered merges in all), registered in Redis as merges of SHIFTS shifts. Then three
rounds of deployments, one per repo each, are judged by fleetbot's Firewatch:
  A  a failure at the head (every merge contained, nothing known: one compare call),
  B  another pipeline's success at the same head (ancestry cached: no call),
  C  a third pipeline's failure at the middle commit (a new commit: one call decides all).
It reports compare calls per execution, fleetbot's CPU per execution (from /proc), and
the wall time to judge each round. Run (see docs/benchmarks.md):

  PYTHONPATH=tests:tests/integration FLEETBOT_BIN=build/fleetbot python3 tests/bench/firewatch.py
"""
import os
import sys
import time

import harness
from fleet import Fleet

REPOS = int(os.environ.get("REPOS", "1000"))
MERGES = int(os.environ.get("MERGES", "10"))
SHIFTS = int(os.environ.get("SHIFTS", "5"))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


COUNT = ("local n = 0 for _, k in ipairs(redis.call('KEYS', 'fb:fw:exec:*:deployment:*')) do "
         "local h = redis.call('HMGET', k, 'pipeline', 'judged') "
         "if h[1] == ARGV[1] and h[2] == '1' then n = n + 1 end end return n")


def judged_count(F, pipeline):
    return int(F.redis_cli().call("EVAL", COUNT, "0", pipeline))


def main():
    with Fleet(fleetbot_env={"FLEETBOT_NOW": "2026-11-24T10:00:00Z", "FLEETBOT_LOG_LEVEL": "warn"}) as F:
        inst = F.sim.add_installation(account="bench")
        # the implicated PRs are told by comment: ten per failing execution here, more than
        # GitHub's 5,000 an hour of one installation; the figure measured is fleetbot's cost
        F.sim.set_rate_limit(inst, limit=10 ** 7, remaining=10 ** 7)
        t0 = time.monotonic()
        heads, middles = {}, {}
        r = F.redis_cli()
        now_ms = int(time.time() * 1000)
        for i in range(REPOS):
            repo = "bench/r%04d" % i
            F.sim.add_repo(repo, installation=inst, default_branch="main")
            shas = [F.sim.push_to_branch(repo, files={"f.txt": "%d\n" % k}) for k in range(MERGES)]
            heads[repo], middles[repo] = shas[-1], shas[MERGES // 2]
            for k, sha in enumerate(shas, start=1):
                r.call("HSET", "fb:merge:%s#%d" % (repo, k), "repo", repo, "pr", str(k), "merge_sha", sha,
                       "shift", "s%d" % (k % SHIFTS), "merged_at", str(now_ms), "by", "fleetbot")
                r.call("ZADD", "fb:fw:merges:" + repo, str(now_ms), str(k))
        F.sim.wait_webhooks_idle(120)
        setup = time.monotonic() - t0
        print("setup: %d repos x %d merges = %d registered merges (%.1f s)" % (REPOS, MERGES, REPOS * MERGES, setup))
        pid = F.bot.proc.pid
        rows = []
        for name, env, state, at in (("A failure at the head, nothing known", "prod-a", "failure", heads),
                                     ("B success at the same head, cached", "prod-b", "success", heads),
                                     ("C failure at the middle commit, new", "prod-c", "failure", middles)):
            F.sim.reset_calls()
            cpu0, w0 = cpu_seconds(pid), time.monotonic()
            for repo in heads:
                d = F.sim.create_deployment(repo, sha=at[repo], environment=env)
                F.sim.set_deployment_status(repo, d, state=state)
            harness.wait_until(lambda: judged_count(F, "deployment:" + env) == REPOS, 600, interval=1.0,
                               what="round %s judged" % name[0])
            wall, cpu = time.monotonic() - w0, cpu_seconds(pid) - cpu0
            compares = len(F.sim.calls("GET", r"/compare/"))
            other = len([c for c in F.sim.calls() if "/compare/" not in c.path and not c.path.startswith("/app")])
            rows.append((name, REPOS, compares / REPOS, other / REPOS, cpu / REPOS * 1e6, wall))
        implicated = r.call("XLEN", "fb:fw:implications")
        print("\n%-42s %7s %14s %12s %14s %8s" % ("round", "execs", "compare/exec", "other/exec",
                                                  "CPU us/exec", "wall s"))
        for row in rows:
            print("%-42s %7d %14.2f %12.2f %14.0f %8.1f" % row)
        total_calls = sum(r_[2] * r_[1] for r_ in rows)
        print("\nall rounds: %.2f compare calls per execution event; %d implications recorded"
              % (total_calls / (3 * REPOS), implicated))
        print("(fleetbot's CPU includes handling the deployment and deployment_status webhooks)")


if __name__ == "__main__":
    sys.exit(main())
