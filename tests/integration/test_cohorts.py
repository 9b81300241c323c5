"""Integration: a gradual rollout in three cohorts, gated on Firewatch's health (issue 4's
acceptance scenario). Cohort canary merges and deploys green -> cohort standard opens
(its PRs were waiting on the cohort gate, woken when Firewatch proved the last canary
merge); standard's deploys fail in 3 of its 5 repos -> the shift is paused with exactly
one alert issue and a comment on each implicated PR, and nothing more merges in any
cohort; a resume from someone who is not a shift owner is refused; a shift owner resumes
it -> merging continues into the last cohort."""
import http.server
import json
import threading
import urllib.error
import urllib.request

import harness
from fleet import AUTOMERGE, Fleet, green, green_repo

NOW = "2026-11-24T10:00:00Z"
F = None
SHIFT = "fleetbot/shift:wave"
ALERTS = []  # bodies POSTed to the chat webhook


class ChatHook(http.server.BaseHTTPRequestHandler):
    """A Slack-compatible incoming webhook: records what it is sent."""

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        ALERTS.append((self.headers.get("Content-Type"), json.loads(self.rfile.read(n))))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

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


def api(path):
    with urllib.request.urlopen(F.bot.url + path, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("application/json"), r.headers
        return json.loads(r.read())


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
        harness.wait_until(lambda r=r: F.redis_cli().hgetall("fb:merge:%s#%d" % (r, prs[r])).get("cohort"),
                           15, what="%s registered with its cohort" % r)
        rec = F.redis_cli().hgetall("fb:merge:%s#%d" % (r, prs[r]))
        assert rec["shift"] == "wave" and rec["cohort"] == "canary" and rec["team"] == "core", rec
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
    harness.wait_until(lambda: ALERTS, 15, what="the chat alert")
    ctype, msg = ALERTS[0]
    assert ctype == "application/json" and "paused shift wave" in msg["text"], ALERTS
    assert "/fleetbot resume-shift wave" in msg["text"], msg
    for r in standard[:3]:
        harness.wait_until(lambda r=r: any("Firewatch" in c["body"] and "deployment:production" in c["body"]
                                           for c in F.sim.comments(r, prs[r])), 30, what="%s told" % r)
    for r in standard[3:]:
        deploy(r, merge_sha(r, prs[r]), "success")
    F.wait_decision("gamma/r1", prs["gamma/r1"], "blocked", contains="shift wave is paused by firewatch")
    F.settle()
    assert len(F.sim.issues("gamma/.github")) == 1
    assert not any(F.merges_of(r, prs[r]) for r in rest)

    # the progress API says the same as the check runs
    wave = api("/api/v1/shifts/wave")
    assert wave["paused"]["by"] == "firewatch" and wave["alert"]["repo"] == "gamma/.github", wave
    assert [c["name"] for c in wave["cohorts"]] == ["canary", "standard", "rest"], wave
    by_name = {c["name"]: c for c in wave["cohorts"]}
    assert by_name["canary"]["counts"]["healthy"] == 2, by_name["canary"]
    assert by_name["standard"]["counts"]["implicated"] == 3, by_name["standard"]
    assert by_name["standard"]["counts"]["healthy"] == 2, by_name["standard"]
    assert wave["counts"]["merged"] == 7 and wave["health"]["implicated"] == 3, wave
    for p in by_name["rest"]["prs"]:
        assert p["state"] == "blocked" and "paused" in p["reason"], p
        run = F.sim.own_check_runs(p["repo"], F.sim.head_sha(p["repo"], p["number"]))[-1]
        assert run["output"]["title"] == "Blocked: " + p["reason"][:180] or \
            run["output"]["title"].startswith("Blocked: shift wave is paused"), (run, p)
    implicated = sorted(p["repo"] for p in by_name["standard"]["prs"] if p["state"] == "implicated")
    assert implicated == standard[:3], implicated
    assert any(v == "implicated" for p in by_name["standard"]["prs"] for v in p["pipelines"].values())
    try:
        api("/api/v1/shifts/nope")
        raise AssertionError("an unknown shift must be 404")
    except urllib.error.HTTPError as exc:
        assert exc.code == 404, exc
    for path, method, code in (("/api/v1/shifts/wave", "POST", 405), ("/api/v1/shifts/%2e%2e", "GET", 400),
                               ("/api/v1/shifts/wave/extra", "GET", 404)):
        try:
            urllib.request.urlopen(urllib.request.Request(F.bot.url + path, method=method, data=b"" if
                                                          method == "POST" else None), timeout=10)
            raise AssertionError("%s %s must be %d" % (method, path, code))
        except urllib.error.HTTPError as exc:
            assert exc.code == code, (path, exc.code)

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
    assert len(ALERTS) == 1, ALERTS  # once per incident
    harness.wait_until(lambda: [s for s in api("/api/v1/shifts")["shifts"] if s["name"] == "wave"
                                and s["counts"]["merged"] == 9 and s["paused"] is None], 15,
                       what="the shift list: all nine merged, not paused (%r)" % api("/api/v1/shifts"))


if __name__ == "__main__":
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ChatHook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/services/T000/B000/secret" % hook.server_address[1]
    try:
        with Fleet(fleetbot_env={"FLEETBOT_NOW": NOW, "FLEETBOT_ALERT_WEBHOOK_URL": url}) as F:
            harness.run_tests()
            assert "secret" not in F.logs(10 ** 6), "the webhook URL was logged"
    finally:
        hook.shutdown()
