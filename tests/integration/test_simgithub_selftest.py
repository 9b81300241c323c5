"""Self-test of the simulated GitHub and the harness, without fleetbot: webhook signatures and
headers, App JWT and token rules, mergeable-null-first, merge answers, ETag, pagination,
statuses, faults, rate limits, delivery ordering/redelivery, issues, reviews, org/team
membership, external calendar files, the app's own check runs, the commit graph and compare,
deployments and workflow runs, and the Redis fixture.

Run: cd /work/main && PYTHONPATH=tests python3 tests/integration/test_simgithub_selftest.py
"""
import contextlib
import http.client
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import harness  # noqa: E402
import simgithub  # noqa: E402
from simgithub.webhooks import signature_256  # noqa: E402

APP_ID = 77
_KEYDIR = tempfile.mkdtemp(prefix="simgithub-selftest-")
_KEY = {}


def key():
    if not _KEY:
        _KEY["pem"], _KEY["pub"] = harness.make_app_key(_KEYDIR)
    return _KEY["pem"], _KEY["pub"]


class Client:
    """Minimal keep-alive GitHub REST client for the tests."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)

    def call(self, method, path, auth=None, body=None, headers=None, user_agent="fleetbot-selftest", as_bytes=False):
        h = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if user_agent:
            h["User-Agent"] = user_agent
        if auth:
            h["Authorization"] = auth
        raw = None
        if body is not None:
            raw = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        self.conn.request(method, path, body=raw, headers=h)
        resp = self.conn.getresponse()
        data = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        if as_bytes:
            return resp.status, hdrs, data
        return resp.status, hdrs, (json.loads(data) if data else None)

    def close(self):
        self.conn.close()


@contextlib.contextmanager
def world(**sim_options):
    """A started sim wired to a local webhook receiver, one installation with acme/api, a
    client and an installation token. Everything is stopped on exit."""
    pem, pub = key()
    with contextlib.ExitStack() as stack:
        rx = stack.enter_context(harness.WebhookReceiver())
        sim = simgithub.SimGitHub(app_id=APP_ID, app_public_key=pub, webhook_url=rx.url,
                                  webhook_secret="s3cret", **sim_options)
        stack.enter_context(sim)
        inst = sim.add_installation("acme")
        sim.add_repo("acme/api", installation=inst)
        c = Client(sim.url)
        stack.callback(c.close)
        st, _, body = c.call("POST", f"/app/installations/{inst}/access_tokens",
                             auth="Bearer " + harness.sign_jwt(pem, APP_ID))
        assert st == 201, body
        w = type("World", (), {})()
        w.sim, w.rx, w.inst, w.c, w.pem = sim, rx, inst, c, pem
        w.auth = "token " + body["token"]
        w.token = body["token"]
        yield w


def jwt_auth(w, **kw):
    return "Bearer " + harness.sign_jwt(w.pem, APP_ID, **kw)


def hooks(w):
    """[(event, action, payload)] of every webhook received so far (after the queue drained)."""
    assert w.sim.wait_webhooks_idle(5)
    out = []
    for r in w.rx.requests:
        payload = json.loads(r["body"])
        out.append((r["headers"]["X-GitHub-Event"], payload.get("action"), payload))
    return out


# ---- webhooks -----------------------------------------------------------------------------

def test_signature_matches_githubs_published_vector():
    got = signature_256("It's a Secret to Everybody", b"Hello, World!")
    assert got == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", got


def test_webhooks_have_github_headers_and_hmac_over_exact_bytes():
    with world() as w:
        n = w.sim.open_pr("acme/api", labels=["fleetbot/automerge"])
        reqs = w.rx.wait_for(4)    # installation, installation_repositories, opened, labeled
        events = [(r["headers"]["X-GitHub-Event"], json.loads(r["body"]).get("action")) for r in reqs]
        assert events == [("installation", "created"), ("installation_repositories", "added"),
                          ("pull_request", "opened"), ("pull_request", "labeled")], events
        for r in reqs:
            h = r["headers"]
            assert h["X-Hub-Signature-256"] == signature_256("s3cret", r["body"])
            assert len(h["X-Hub-Signature-256"]) == 71
            assert h["User-Agent"].startswith("GitHub-Hookshot/")
            assert h["Content-Type"] == "application/json"
            assert h["X-GitHub-Hook-Installation-Target-Type"] == "integration"
            assert h["X-GitHub-Hook-Installation-Target-ID"] == str(APP_ID)
            assert h["X-GitHub-Hook-ID"].isdigit()
            assert len(h["X-GitHub-Delivery"]) == 36
        assert len({r["headers"]["X-GitHub-Delivery"] for r in reqs}) == 4
        opened = json.loads(reqs[2]["body"])
        assert opened["number"] == n and opened["installation"]["id"] == w.inst
        assert opened["repository"]["full_name"] == "acme/api" and opened["repository"]["default_branch"] == "main"
        assert opened["sender"]["login"] == "shift-author"
        assert opened["pull_request"]["mergeable"] is None
        assert opened["pull_request"]["head"]["sha"] == w.sim.head_sha("acme/api", n)
        assert json.loads(reqs[3]["body"])["label"]["name"] == "fleetbot/automerge"
        assert w.sim.wait_webhooks_idle(5)
        assert all(d["status"] == "OK" and d["status_code"] == 202 for d in w.sim.deliveries())


def test_form_encoded_webhooks():
    with world(webhook_content_type="form") as w:
        w.sim.set_status("acme/api", "a" * 40, "build", "success")
        r = w.rx.wait_for(3)[2]
        assert r["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
        assert r["headers"]["X-Hub-Signature-256"] == signature_256("s3cret", r["body"])
        payload = json.loads(urllib.parse.parse_qs(r["body"].decode())["payload"][0])
        assert "action" not in payload and payload["state"] == "success" and payload["sha"] == "a" * 40


def test_reverse_order_drop_and_redelivery_keep_the_guid():
    with world() as w:
        w.rx.wait_for(2)
        w.rx.clear()
        w.sim.pause_webhooks()
        n = w.sim.open_pr("acme/api")
        sha = w.sim.head_sha("acme/api", n)
        w.sim.complete_check("acme/api", sha, "build")
        assert w.sim.webhooks_pending() == 4      # opened, check_run created+completed, check_suite
        assert not w.sim.wait_webhooks_idle(0.2)
        w.sim.resume_webhooks(order="reverse")
        reqs = w.rx.wait_for(4)
        order = [(r["headers"]["X-GitHub-Event"], json.loads(r["body"])["action"]) for r in reqs]
        assert order == [("check_suite", "completed"), ("check_run", "completed"), ("check_run", "created"),
                         ("pull_request", "opened")], order
        guid = reqs[-1]["headers"]["X-GitHub-Delivery"]
        w.sim.redeliver(guid)
        again = w.rx.wait_for(5)[4]
        assert again["headers"]["X-GitHub-Delivery"] == guid and again["body"] == reqs[-1]["body"]
        # A dropped delivery is listed as failed; the App API redelivers it with the same GUID.
        w.sim.drop_next_webhooks(1)
        w.sim.add_label("acme/api", n, "x")
        assert w.sim.wait_webhooks_idle(5)
        st, hdrs, page1 = w.c.call("GET", "/app/hook/deliveries?per_page=2", auth=jwt_auth(w))
        assert st == 200 and len(page1) == 2 and 'rel="next"' in hdrs["link"]
        dropped = page1[0]
        assert dropped["event"] == "pull_request" and dropped["action"] == "labeled"
        assert dropped["status"] != "OK" and dropped["redelivery"] is False
        assert page1[1]["redelivery"] is True and page1[1]["guid"] == guid
        nxt = hdrs["link"].split(">")[0].lstrip("<")
        st, _, page2 = w.c.call("GET", nxt[len(w.sim.url):], auth=jwt_auth(w))
        assert st == 200 and page2[0]["id"] < page1[1]["id"]
        st, _, _ = w.c.call("POST", f"/app/hook/deliveries/{dropped['id']}/attempts", auth=jwt_auth(w))
        assert st == 202
        got = w.rx.wait_for(6)[5]
        assert got["headers"]["X-GitHub-Delivery"] == dropped["guid"]
        st, _, _ = w.c.call("POST", "/app/hook/deliveries/12345/attempts", auth=jwt_auth(w))
        assert st == 422


def test_failed_delivery_is_recorded_and_not_retried():
    with world() as w:
        w.rx.wait_for(2)
        w.rx.status = 500
        w.sim.open_pr("acme/api")
        assert w.sim.wait_webhooks_idle(5)
        time.sleep(0.3)
        assert len(w.rx.requests) == 3
        last = w.sim.deliveries()[-1]
        assert last["status_code"] == 500 and last["status"] != "OK"
        st, _, failed = w.c.call("GET", "/app/hook/deliveries?status=failure", auth=jwt_auth(w))
        assert st == 200 and [d["guid"] for d in failed] == [last["guid"]]


# ---- App auth ----------------------------------------------------------------------------

def test_app_jwt_accepted_and_refused_with_githubs_messages():
    with world() as w:
        now = int(time.time())
        st, _, app = w.c.call("GET", "/app", auth=jwt_auth(w))
        assert st == 200 and app["id"] == APP_ID and app["slug"] == "fleetbot-sim"
        st, _, _ = w.c.call("GET", "/app", auth=jwt_auth(w, iss=str(APP_ID)))
        assert st == 200
        cases = [
            (dict(iat=now - 700, exp=now - 100), "'Expiration time' claim ('exp') must be a numeric value"),
            (dict(iat=now + 300, exp=now + 600), "'Issued at' claim ('iat') must be an Integer"),
            (dict(iat=now - 60, exp=now + 900), "'Expiration time' claim ('exp') is too far in the future"),
            (dict(iss=APP_ID + 1), "Integration not found"),
        ]
        for kw, text in cases:
            st, _, body = w.c.call("GET", "/app", auth=jwt_auth(w, **kw))
            assert st == 401 and body["message"].startswith(text), (kw, body)
            assert "documentation_url" in body
        good = harness.sign_jwt(w.pem, APP_ID)
        tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
        for bad in ("not-a-jwt", tampered, w.token):
            st, _, body = w.c.call("GET", "/app", auth="Bearer " + bad)
            assert st == 401 and body["message"] == "A JSON web token could not be decoded", body
        st, _, body = w.c.call("GET", "/app")
        assert st == 401
        st, _, body = w.c.call("GET", "/repos/acme/api/installation", auth=jwt_auth(w))
        assert st == 200 and body["id"] == w.inst and body["account"]["login"] == "acme"


def test_installation_tokens_are_long_and_expire():
    with world(token_ttl=1.5) as w:
        assert w.token.startswith("ghs_") and len(w.token) > 40
        st, hdrs, repo = w.c.call("GET", "/repos/acme/api", auth="Bearer " + w.token)
        assert st == 200 and repo["full_name"] == "acme/api" and repo["owner"]["login"] == "acme"
        for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-used",
                     "x-ratelimit-resource", "x-github-request-id", "etag"):
            assert name in hdrs, name
        st, _, body = w.c.call("GET", "/repos/acme/api", auth=w.auth, user_agent=None)
        assert st == 403 and "User-Agent" in body["message"]
        st, _, body = w.c.call("GET", "/repos/acme/api", auth="token ghs_" + "x" * 60)
        assert st == 401 and body["message"] == "Bad credentials"
        st, _, body = w.c.call("GET", "/repos/acme/nope", auth=w.auth)
        assert st == 404 and body["message"] == "Not Found" and body["documentation_url"]
        st, _, body = w.c.call("GET", "/no/such/route", auth=w.auth)
        assert st == 404 and body["message"] == "Not Found"
        other = w.sim.add_installation("globex")
        w.sim.add_repo("globex/web", installation=other)
        st, _, _ = w.c.call("GET", "/repos/globex/web", auth=w.auth)
        assert st == 404
        st, _, body = w.c.call("POST", "/app/installations/999/access_tokens", auth=jwt_auth(w))
        assert st == 404
        time.sleep(1.6)
        st, _, body = w.c.call("GET", "/repos/acme/api", auth=w.auth)
        assert st == 401 and body["message"] == "Bad credentials"
        w.sim.set_token_warmup(30)
        st, _, fresh = w.c.call("POST", f"/app/installations/{w.inst}/access_tokens", auth=jwt_auth(w))
        assert st == 201
        st, _, _ = w.c.call("GET", "/repos/acme/api", auth="Bearer " + fresh["token"])
        assert st == 401


# ---- pull requests and merging -----------------------------------------------------------

def test_mergeable_is_null_first_then_a_value():
    with world(mergeable_delay=0.2) as w:
        n = w.sim.open_pr("acme/api")
        st, _, pr = w.c.call("GET", f"/repos/acme/api/pulls/{n}", auth=w.auth)
        assert st == 200 and pr["mergeable"] is None and pr["mergeable_state"] == "unknown"
        harness.wait_until(lambda: w.c.call("GET", f"/repos/acme/api/pulls/{n}", auth=w.auth)[2]["mergeable"]
                           is not None, 10, what="mergeable to be computed")
        pr = w.c.call("GET", f"/repos/acme/api/pulls/{n}", auth=w.auth)[2]
        assert pr["mergeable"] is True and pr["mergeable_state"] == "clean"
        for field in ("number", "node_id", "state", "draft", "merged", "merge_commit_sha", "head", "base",
                      "labels", "user", "auto_merge", "merged_by", "merged_at"):
            assert field in pr, field
        w.sim.push_to_pr("acme/api", n, conflict=True)
        assert w.c.call("GET", f"/repos/acme/api/pulls/{n}", auth=w.auth)[2]["mergeable"] is None
        harness.wait_until(lambda: w.c.call("GET", f"/repos/acme/api/pulls/{n}", auth=w.auth)[2]["mergeable"]
                           is False, 10, what="conflict to show")
        assert w.sim.pr("acme/api", n)["mergeable_state"] == "dirty"


def test_merge_answers_405_then_409_then_200_and_sends_webhooks():
    with world() as w:
        w.sim.set_protection("acme/api", "main", contexts=["build"])
        n = w.sim.open_pr("acme/api")
        head = w.sim.head_sha("acme/api", n)
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n}/merge", auth=w.auth, body={"sha": head})
        assert st == 405 and body["message"] == 'Required status check "build" is expected.', body
        w.sim.complete_check("acme/api", head, "build", conclusion="failure")
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n}/merge", auth=w.auth, body={"sha": head})
        assert st == 405 and "failing" in body["message"]
        w.sim.complete_check("acme/api", head, "build")
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n}/merge", auth=w.auth, body={"sha": "0" * 40})
        assert st == 409 and body["message"] == "Head branch was modified. Review and try the merge again."
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n}/merge", auth=w.auth,
                               body={"sha": head, "merge_method": "octopus"})
        assert st == 422
        w.sim.wait_webhooks_idle(5)
        w.rx.clear()
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n}/merge", auth=w.auth,
                               body={"sha": head, "merge_method": "squash"})
        assert st == 200 and body["merged"] is True and body["message"] == "Pull Request successfully merged"
        assert len(body["sha"]) == 40
        m = w.sim.merges
        assert len(m) == 1 and m[0]["sha_sent"] == head and m[0]["merge_commit_sha"] == body["sha"]
        assert m[0]["merge_method"] == "squash" and w.sim.branch_sha("acme/api", "main") == body["sha"]
        reqs = w.rx.wait_for(2)
        closed, push = json.loads(reqs[0]["body"]), json.loads(reqs[1]["body"])
        assert closed["action"] == "closed" and closed["pull_request"]["merged"] is True
        assert closed["sender"] == {**closed["sender"], "login": "fleetbot-sim[bot]", "type": "Bot"}
        assert reqs[1]["headers"]["X-GitHub-Event"] == "push" and push["ref"] == "refs/heads/main"
        assert push["after"] == body["sha"] and "action" not in push
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n}/merge", auth=w.auth, body={"sha": head})
        assert st == 405 and body["message"] == "Pull Request is not mergeable"


def test_merge_refusals_workflows_queue_draft_rulesets():
    with world() as w:
        n1 = w.sim.open_pr("acme/api", touches_workflows=True)
        st, hdrs, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n1}/merge", auth=w.auth,
                                  body={"sha": w.sim.head_sha("acme/api", n1)})
        assert st == 403 and body["message"] == "Resource not accessible by integration"
        assert hdrs["x-accepted-github-permissions"] == "workflows=write"
        n2 = w.sim.open_pr("acme/api", draft=True)
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n2}/merge", auth=w.auth, body={})
        assert st == 405 and body["message"] == "Pull Request is not mergeable"
        w.sim.set_ruleset_checks("acme/api", "main", ["lint"])
        n3 = w.sim.open_pr("acme/api")
        sha3 = w.sim.head_sha("acme/api", n3)
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n3}/merge", auth=w.auth, body={"sha": sha3})
        assert st == 405 and 'Required status check "lint" is expected' in body["message"]
        # A status with the same name satisfies it too; a failing check run of that name does not.
        w.sim.set_status("acme/api", sha3, "lint", "success")
        w.sim.complete_check("acme/api", sha3, "lint", conclusion="failure")
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n3}/merge", auth=w.auth, body={"sha": sha3})
        assert st == 405 and "failing" in body["message"]
        w.sim.complete_check("acme/api", sha3, "lint", conclusion="skipped")
        st, _, rules = w.c.call("GET", "/repos/acme/api/rules/branches/main", auth=w.auth)
        assert st == 200 and rules[0]["type"] == "required_status_checks"
        assert rules[0]["parameters"]["required_status_checks"] == [{"context": "lint"}]
        w.sim.set_merge_queue("acme/api")
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n3}/merge", auth=w.auth, body={"sha": sha3})
        assert st == 405 and body["message"] == "Changes must be made through the merge queue"
        w.sim.set_merge_queue("acme/api", on=False)
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n3}/merge", auth=w.auth, body={"sha": sha3})
        assert st == 200, body


def test_fail_next_with_apply_merges_then_answers_502():
    with world() as w:
        n = w.sim.open_pr("acme/api")
        head = w.sim.head_sha("acme/api", n)
        w.sim.fail_next("PUT", r"/pulls/\d+/merge$", 502, apply=True)
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n}/merge", auth=w.auth, body={"sha": head})
        assert st == 502 and "message" in body
        assert w.sim.pr("acme/api", n)["merged"] is True and len(w.sim.merges) == 1
        n2 = w.sim.open_pr("acme/api")
        w.sim.fail_next("PUT", r"/merge$", 500)
        st, _, _ = w.c.call("PUT", f"/repos/acme/api/pulls/{n2}/merge", auth=w.auth, body={})
        assert st == 500 and w.sim.pr("acme/api", n2)["merged"] is False
        w.sim.delay_next("GET", r"^/repos/acme/api$", 0.5)
        t0 = time.monotonic()
        assert w.c.call("GET", "/repos/acme/api", auth=w.auth)[0] == 200
        assert time.monotonic() - t0 >= 0.45
        calls = w.sim.calls("PUT", r"/merge$")
        assert [c.status for c in calls] == [502, 500] and calls[0].installation_id == w.inst


# ---- checks, statuses, ETags, pagination -------------------------------------------------

def test_etag_gives_304_without_spending_budget():
    with world() as w:
        st, hdrs, _ = w.c.call("GET", "/repos/acme/api", auth=w.auth)
        used = int(hdrs["x-ratelimit-used"])
        st, hdrs2, body = w.c.call("GET", "/repos/acme/api", auth=w.auth, headers={"If-None-Match": hdrs["etag"]})
        assert st == 304 and body is None and int(hdrs2["x-ratelimit-used"]) == used
        st, hdrs3, _ = w.c.call("GET", "/repos/acme/api", auth=w.auth, headers={"If-None-Match": '"nope"'})
        assert st == 200 and int(hdrs3["x-ratelimit-used"]) == used + 1


def test_check_runs_paginate_with_link_headers():
    with world() as w:
        n = w.sim.open_pr("acme/api")
        sha = w.sim.head_sha("acme/api", n)
        w.sim.pause_webhooks()              # 150 checks = 450 webhooks; not what this test is about
        for i in range(150):
            w.sim.complete_check("acme/api", sha, f"check-{i:03d}")
        names, path, pages = set(), f"/repos/acme/api/commits/{sha}/check-runs?per_page=100", 0
        while path:
            st, hdrs, body = w.c.call("GET", path, auth=w.auth)
            assert st == 200 and body["total_count"] == 150
            pages += 1
            names |= {r["name"] for r in body["check_runs"]}
            link = hdrs.get("link", "")
            if pages == 1:
                assert 'rel="last"' in link and len(body["check_runs"]) == 100
            nxt = [p for p in link.split(", ") if p.endswith('rel="next"')]
            path = nxt[0].split(">")[0].lstrip("<")[len(w.sim.url):] if nxt else None
        assert pages == 2 and len(names) == 150
        st, hdrs, body = w.c.call("GET", f"/repos/acme/api/commits/{sha}/check-runs", auth=w.auth)
        assert len(body["check_runs"]) == 30
        st, _, body = w.c.call("GET", f"/repos/acme/api/commits/{sha}/check-runs?per_page=500", auth=w.auth)
        assert len(body["check_runs"]) == 100
        # filter=latest keeps the newest run per name; filter=all keeps every run.
        w.sim.complete_check("acme/api", sha, "check-000", conclusion="failure")
        q = f"/repos/acme/api/commits/{sha}/check-runs?check_name=check-000"
        assert [r["conclusion"] for r in w.c.call("GET", q, auth=w.auth)[2]["check_runs"]] == ["failure"]
        assert w.c.call("GET", q + "&filter=all", auth=w.auth)[2]["total_count"] == 2


def test_combined_status_is_pending_with_zero_total_when_empty():
    with world() as w:
        sha = "b" * 40
        st, _, body = w.c.call("GET", f"/repos/acme/api/commits/{sha}/status", auth=w.auth)
        assert st == 200 and body["state"] == "pending" and body["total_count"] == 0 and body["statuses"] == []
        w.sim.set_status("acme/api", sha, "ci/build", "pending")
        w.sim.set_status("acme/api", sha, "ci/build", "success")
        w.sim.set_status("acme/api", sha, "ci/lint", "success")
        body = w.c.call("GET", f"/repos/acme/api/commits/{sha}/status", auth=w.auth)[2]
        assert body["state"] == "success" and body["total_count"] == 2
        w.sim.set_status("acme/api", sha, "ci/lint", "error")
        assert w.c.call("GET", f"/repos/acme/api/commits/{sha}/status", auth=w.auth)[2]["state"] == "failure"


def test_fork_check_runs_have_empty_pull_requests():
    with world() as w:
        same = w.sim.open_pr("acme/api")
        fork = w.sim.open_pr("acme/api", fork=True)
        w.sim.complete_check("acme/api", w.sim.head_sha("acme/api", same), "build")
        w.sim.complete_check("acme/api", w.sim.head_sha("acme/api", fork), "build")
        runs_same = w.sim.check_runs("acme/api", w.sim.head_sha("acme/api", same))
        runs_fork = w.sim.check_runs("acme/api", w.sim.head_sha("acme/api", fork))
        assert [p["number"] for p in runs_same[0]["pull_requests"]] == [same]
        assert runs_fork[0]["pull_requests"] == []
        assert runs_fork[0]["check_suite"]["head_branch"] is None
        sha = w.sim.head_sha("acme/api", fork)
        st, _, prs = w.c.call("GET", f"/repos/acme/api/commits/{sha}/pulls", auth=w.auth)
        assert st == 200 and [p["number"] for p in prs] == [fork]
        assert prs[0]["head"]["repo"]["full_name"] == "shift-author-fork/api"


def test_app_check_runs_comments_branches_contents_permissions():
    with world() as w:
        n = w.sim.open_pr("acme/api")
        sha = w.sim.head_sha("acme/api", n)
        st, _, run = w.c.call("POST", "/repos/acme/api/check-runs", auth=w.auth,
                              body={"name": "fleetbot", "head_sha": sha, "status": "in_progress"})
        assert st == 201 and run["app"]["id"] == APP_ID and run["status"] == "in_progress"
        st, _, run = w.c.call("PATCH", f"/repos/acme/api/check-runs/{run['id']}", auth=w.auth,
                              body={"conclusion": "neutral", "output": {"title": "t", "summary": "s"}})
        assert st == 200 and run["status"] == "completed" and run["conclusion"] == "neutral"
        ci = w.sim.complete_check("acme/api", sha, "build")
        st, _, _ = w.c.call("PATCH", f"/repos/acme/api/check-runs/{ci}", auth=w.auth, body={"conclusion": "success"})
        assert st == 403
        st, _, c = w.c.call("POST", f"/repos/acme/api/issues/{n}/comments", auth=w.auth, body={"body": "hello"})
        assert st == 201 and w.sim.comments("acme/api", n)[0]["body"] == "hello"
        w.sim.set_protection("acme/api", "main", contexts=["build"], checks=[{"context": "test", "app_id": 5}])
        st, _, br = w.c.call("GET", "/repos/acme/api/branches/main", auth=w.auth)
        rsc = br["protection"]["required_status_checks"]
        assert st == 200 and br["protected"] and rsc["contexts"] == ["build", "test"]
        assert {"context": "test", "app_id": 5} in rsc["checks"]
        assert w.c.call("GET", "/repos/acme/api/rules/branches/main", auth=w.auth)[2] == []
        text = "owner: team-api\n" + "# padding line to force wrapping\n" * 5
        w.sim.set_file("acme/api", ".github/fleetbot.yml", text)
        st, _, f = w.c.call("GET", "/repos/acme/api/contents/.github/fleetbot.yml?ref=main", auth=w.auth)
        assert st == 200 and f["encoding"] == "base64" and "\n" in f["content"]
        assert all(len(line) <= 60 for line in f["content"].split("\n"))
        import base64
        assert base64.b64decode(f["content"].replace("\n", "")).decode() == text and f["size"] == len(text)
        assert w.c.call("GET", "/repos/acme/api/contents/absent.yml", auth=w.auth)[0] == 404
        w.sim.set_collaborator("acme/api", "alice", "maintain")
        st, _, p = w.c.call("GET", "/repos/acme/api/collaborators/alice/permission", auth=w.auth)
        assert st == 200 and p["permission"] == "write" and p["role_name"] == "maintain"
        p = w.c.call("GET", "/repos/acme/api/collaborators/shift-author/permission", auth=w.auth)[2]
        assert p["permission"] == "read"
        assert w.c.call("GET", "/repos/acme/api/collaborators/ghost-x/permission", auth=w.auth)[0] == 404


# ---- issues, reviews, membership, external files, the app's own check runs ----------------

def test_issues_create_get_patch_list_and_their_webhooks():
    with world() as w:
        pr = w.sim.open_pr("acme/api")
        st, _, body = w.c.call("POST", "/repos/acme/api/issues", auth=w.auth, body={"body": "no title"})
        assert st == 422 and body["message"] == 'Invalid request.\n\n"title" wasn\'t supplied.', body
        st, _, body = w.c.call("POST", "/repos/acme/api/issues", auth=w.auth, body={"title": "  "})
        assert st == 422 and body["message"] == "Validation Failed"
        assert body["errors"] == [{"resource": "Issue", "code": "missing_field", "field": "title"}]
        w.sim.wait_webhooks_idle(5)
        w.rx.clear()
        st, hdrs, iss = w.c.call("POST", "/repos/acme/api/issues", auth=w.auth,
                                 body={"title": "Config broken", "body": "line 3", "labels": ["fleetbot/config"],
                                       "assignees": ["alice"]})
        assert st == 201 and iss["number"] == pr + 1 and hdrs["location"] == iss["url"]   # one number sequence
        assert iss["html_url"] == f"https://github.com/acme/api/issues/{iss['number']}" and iss["state"] == "open"
        assert iss["title"] == "Config broken" and iss["body"] == "line 3" and "pull_request" not in iss
        assert iss["user"]["login"] == "fleetbot-sim[bot]" and iss["user"]["type"] == "Bot"
        assert [x["name"] for x in iss["labels"]] == ["fleetbot/config"] and iss["assignees"][0]["login"] == "alice"
        n = iss["number"]
        assert w.c.call("GET", f"/repos/acme/api/issues/{n}", auth=w.auth)[2]["title"] == "Config broken"
        as_issue = w.c.call("GET", f"/repos/acme/api/issues/{pr}", auth=w.auth)[2]
        assert as_issue["pull_request"]["url"].endswith(f"/pulls/{pr}")
        assert w.c.call("GET", "/repos/acme/api/issues/999", auth=w.auth)[0] == 404
        st, _, iss = w.c.call("PATCH", f"/repos/acme/api/issues/{n}", auth=w.auth,
                              body={"title": "Config broken (2)", "labels": ["a"]})
        assert st == 200 and iss["title"] == "Config broken (2)" and [x["name"] for x in iss["labels"]] == ["a"]
        st, _, iss = w.c.call("PATCH", f"/repos/acme/api/issues/{n}", auth=w.auth, body={"state": "closed"})
        assert st == 200 and iss["state"] == "closed" and iss["state_reason"] == "completed" and iss["closed_at"]
        assert w.c.call("PATCH", f"/repos/acme/api/issues/{n}", auth=w.auth, body={"state": "shut"})[0] == 422
        st, _, iss = w.c.call("PATCH", f"/repos/acme/api/issues/{n}", auth=w.auth, body={"state": "open"})
        assert st == 200 and iss["state"] == "open" and iss["closed_at"] is None
        got = [(e, a) for e, a, _ in hooks(w)]
        assert got == [("issues", "opened"), ("issues", "labeled"), ("issues", "edited"), ("issues", "unlabeled"),
                       ("issues", "labeled"), ("issues", "closed"), ("issues", "reopened")], got
        payloads_ = [p for _, _, p in hooks(w)]
        assert all(p["sender"]["login"] == "fleetbot-sim[bot]" and p["issue"]["number"] == n for p in payloads_)
        assert payloads_[2]["changes"] == {"title": {"from": "Config broken"}}
        assert payloads_[1]["label"]["name"] == "fleetbot/config" and payloads_[4]["label"]["name"] == "a"
        # The list includes PRs (with a pull_request key), newest first, filtered and paged.
        other = w.sim.open_issue("acme/api", title="Human issue", author="alice", labels=["a", "b"])
        lst = w.c.call("GET", "/repos/acme/api/issues", auth=w.auth)[2]
        assert [x["number"] for x in lst] == [other, n, pr] and "pull_request" in lst[2]
        q = "/repos/acme/api/issues?state=all&creator=fleetbot-sim%5Bbot%5D"
        assert [x["number"] for x in w.c.call("GET", q, auth=w.auth)[2]] == [n]
        assert [x["number"] for x in w.c.call("GET", "/repos/acme/api/issues?labels=a,b", auth=w.auth)[2]] == [other]
        assert w.c.call("GET", "/repos/acme/api/issues?state=closed", auth=w.auth)[2] == []
        st, hdrs, page = w.c.call("GET", "/repos/acme/api/issues?per_page=2", auth=w.auth)
        assert st == 200 and len(page) == 2 and 'rel="next"' in hdrs["link"]
        assert [x["number"] for x in w.sim.issues("acme/api")] == [n, other]
        # Comments: the same routes and sim.add_comment work on issues; issue.pull_request only for PRs.
        w.rx.clear()
        st, _, c = w.c.call("POST", f"/repos/acme/api/issues/{n}/comments", auth=w.auth, body={"body": "fixed?"})
        assert st == 201 and c["html_url"].endswith(f"/issues/{n}#issuecomment-{c['id']}")
        w.sim.add_comment("acme/api", n, "no", user="alice")
        w.sim.add_comment("acme/api", pr, "on the PR", user="alice")
        assert [x["body"] for x in w.c.call("GET", f"/repos/acme/api/issues/{n}/comments", auth=w.auth)[2]] == \
            ["fixed?", "no"]
        assert [x["user"] for x in w.sim.comments("acme/api", n)] == ["fleetbot-sim[bot]", "alice"]
        ic = [p for e, _, p in hooks(w) if e == "issue_comment"]
        assert len(ic) == 3 and "pull_request" not in ic[0]["issue"] and "pull_request" not in ic[1]["issue"]
        assert ic[1]["sender"]["login"] == "alice" and ic[2]["issue"]["pull_request"]["url"].endswith(f"/pulls/{pr}")
        w.sim.set_issues_enabled("acme/api", False)
        st, _, body = w.c.call("POST", "/repos/acme/api/issues", auth=w.auth, body={"title": "x"})
        assert st == 410 and body["message"] == "Issues are disabled for this repo"


def test_reviews_list_with_real_shapes_and_webhooks():
    with world() as w:
        n = w.sim.open_pr("acme/api")
        first_head = w.sim.head_sha("acme/api", n)
        w.sim.set_org_member("acme", "alice")
        w.sim.wait_webhooks_idle(5)
        w.rx.clear()
        r1 = w.sim.add_review("acme/api", n, user="alice")
        head = w.sim.push_to_pr("acme/api", n)
        r2 = w.sim.add_review("acme/api", n, user="bob", state="CHANGES_REQUESTED")
        r3 = w.sim.add_review("acme/api", n, user="carol", state="COMMENTED", commit_id=first_head)
        try:
            w.sim.add_review("acme/api", n, user="shift-author")
            raise AssertionError("an author approved their own PR")
        except ValueError:
            pass
        st, hdrs, page = w.c.call("GET", f"/repos/acme/api/pulls/{n}/reviews?per_page=2", auth=w.auth)
        assert st == 200 and [x["id"] for x in page] == [r1, r2] and 'rel="next"' in hdrs["link"]
        a, b = page
        assert a["state"] == "APPROVED" and a["commit_id"] == first_head and a["user"]["login"] == "alice"
        assert a["user"]["type"] == "User" and a["author_association"] == "MEMBER" and a["submitted_at"]
        assert b["state"] == "CHANGES_REQUESTED" and b["commit_id"] == head and b["author_association"] == "NONE"
        assert [x["commit_id"] for x in w.sim.reviews("acme/api", n)] == [first_head, head, first_head]
        w.sim.dismiss_review("acme/api", r2, by="alice")
        rest = w.c.call("GET", f"/repos/acme/api/pulls/{n}/reviews", auth=w.auth)[2]
        assert [x["state"] for x in rest] == ["APPROVED", "DISMISSED", "COMMENTED"] and rest[2]["id"] == r3
        events = [(a, p) for e, a, p in hooks(w) if e == "pull_request_review"]
        assert [x[0] for x in events] == ["submitted", "submitted", "submitted", "dismissed"]
        assert [p["review"]["state"] for _, p in events] == ["approved", "changes_requested", "commented",
                                                             "dismissed"]   # lower case in webhooks
        assert events[0][1]["sender"]["login"] == "alice" and events[0][1]["pull_request"]["number"] == n
        assert events[1][1]["review"]["commit_id"] == head
        assert w.c.call("GET", "/repos/acme/api/pulls/99/reviews", auth=w.auth)[0] == 404


def test_org_and_team_membership():
    with world() as w:
        w.sim.wait_webhooks_idle(5)
        w.rx.clear()
        w.sim.add_team_member("acme", "platform", "bob")
        w.sim.add_team_member("acme", "platform", "carol", role="maintainer")
        w.sim.set_org_member("acme", "dave", role="admin")
        w.sim.add_team_member("acme", "platform", "dave")
        w.sim.add_team("acme", "empty")
        st, _, m = w.c.call("GET", "/orgs/acme/teams/platform/memberships/bob", auth=w.auth)
        assert st == 200 and m["role"] == "member" and m["state"] == "active" and m["url"].endswith("/bob")
        assert w.c.call("GET", "/orgs/ACME/teams/Platform/memberships/BOB", auth=w.auth)[0] == 200
        assert w.c.call("GET", "/orgs/acme/teams/platform/memberships/carol", auth=w.auth)[2]["role"] == "maintainer"
        assert w.c.call("GET", "/orgs/acme/teams/platform/memberships/dave", auth=w.auth)[2]["role"] == "maintainer"
        for path in ("/orgs/acme/teams/platform/memberships/erin", "/orgs/acme/teams/nope/memberships/bob",
                     "/orgs/acme/teams/empty/memberships/bob", "/orgs/globex/teams/platform/memberships/bob"):
            st, _, body = w.c.call("GET", path, auth=w.auth)
            assert st == 404 and body["message"] == "Not Found", path
        st, _, m = w.c.call("GET", "/orgs/acme/memberships/dave", auth=w.auth)
        assert st == 200 and m["state"] == "active" and m["role"] == "admin"
        assert m["organization"]["login"] == "acme" and m["user"]["login"] == "dave"
        assert w.c.call("GET", "/orgs/acme/memberships/bob", auth=w.auth)[2]["role"] == "member"   # via the team
        assert w.c.call("GET", "/orgs/acme/memberships/erin", auth=w.auth)[0] == 404
        w.sim.remove_team_member("acme", "platform", "bob")
        assert w.c.call("GET", "/orgs/acme/teams/platform/memberships/bob", auth=w.auth)[0] == 404
        got = [(e, a, p.get("member", p.get("membership", {}).get("user", {})).get("login")) for e, a, p in hooks(w)]
        assert got == [("organization", "member_added", "bob"), ("membership", "added", "bob"),
                       ("organization", "member_added", "carol"), ("membership", "added", "carol"),
                       ("organization", "member_added", "dave"), ("membership", "added", "dave"),
                       ("membership", "removed", "bob")], got
        p = hooks(w)[1][2]
        assert p["scope"] == "team" and p["team"]["slug"] == "platform" and p["organization"]["login"] == "acme"
        assert p["installation"]["id"] == w.inst


def test_external_calendar_files_are_served_without_auth_with_etags():
    with world() as w:
        ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        w.sim.set_external("holidays/de.ics", ics)
        assert w.sim.external_url("holidays/de.ics") == w.sim.url + "/ext/holidays/de.ics"
        st, hdrs, data = w.c.call("GET", "/ext/holidays/de.ics", user_agent=None, as_bytes=True)
        assert st == 200 and data == ics.encode() and hdrs["content-type"] == "text/calendar"
        assert hdrs["etag"] and hdrs["last-modified"] and "x-ratelimit-limit" not in hdrs
        st, _, data = w.c.call("GET", "/ext/holidays/de.ics", headers={"If-None-Match": hdrs["etag"]}, as_bytes=True)
        assert st == 304 and data == b""
        st, _, _ = w.c.call("GET", "/ext/holidays/de.ics", headers={"If-Modified-Since": hdrs["last-modified"]},
                            as_bytes=True)
        assert st == 304
        w.sim.set_external("holidays/de.ics", ics.replace("1225", "1226"))
        st, hdrs2, data = w.c.call("GET", "/ext/holidays/de.ics", headers={"If-None-Match": hdrs["etag"]},
                                   as_bytes=True)
        assert st == 200 and b"20261226" in data and hdrs2["etag"] != hdrs["etag"]
        w.sim.fail_next("GET", r"^/ext/", 503)
        assert w.c.call("GET", "/ext/holidays/de.ics", as_bytes=True)[0] == 503
        w.sim.delete_external("holidays/de.ics")
        assert w.c.call("GET", "/ext/holidays/de.ics", as_bytes=True)[0] == 404
        assert [c.status for c in w.sim.calls("GET", r"^/ext/")] == [200, 304, 304, 200, 503, 404]
        assert all(c.installation_id is None for c in w.sim.calls("GET", r"^/ext/"))


def test_app_check_runs_on_pushed_commits_are_its_own_and_count_only_when_required():
    with world() as w:
        bad = w.sim.push_to_branch("acme/api", files={".github/fleetbot.yml": "owner: [\n"})
        newer = w.sim.push_to_branch("acme/api")
        assert w.sim.has_commit("acme/api", bad) and not w.sim.has_commit("acme/api", "f" * 40)
        w.sim.wait_webhooks_idle(5)
        w.rx.clear()
        out = {"title": "fleetbot.yml: 1 error", "summary": "line 1: unterminated list", "text": "owner: [\n"}
        st, _, run = w.c.call("POST", "/repos/acme/api/check-runs", auth=w.auth, body={
            "name": "fleetbot/config", "head_sha": bad, "status": "completed", "conclusion": "failure",
            "output": out, "details_url": "https://fleetbot.example.com/config", "external_id": "cfg-1"})
        assert st == 201 and run["head_sha"] == bad and run["check_suite"]["head_branch"] == "main"
        st, _, body = w.c.call("POST", "/repos/acme/api/check-runs", auth=w.auth,
                               body={"name": "fleetbot/config", "head_sha": "f" * 40})
        assert st == 422 and body["message"] == "No commit found for SHA: " + "f" * 40
        w.sim.complete_check("acme/api", newer, "build")
        own = w.sim.own_check_runs("acme/api")
        assert [r["id"] for r in own] == [run["id"]] and w.sim.own_check_runs("acme/api", newer) == []
        o = own[0]
        assert (o["output"]["title"], o["output"]["summary"], o["output"]["text"]) == (out["title"], out["summary"],
                                                                                      out["text"])
        assert o["conclusion"] == "failure" and o["status"] == "completed" and o["app"]["id"] == APP_ID
        assert o["details_url"] == "https://fleetbot.example.com/config" and o["external_id"] == "cfg-1"
        assert [r["name"] for r in w.sim.check_runs("acme/api", bad)] == ["fleetbot/config"]
        got = [(e, a, p["sender"]["login"]) for e, a, p in hooks(w)][:3]
        assert got == [("check_run", "created", "fleetbot-sim[bot]"), ("check_run", "completed", "fleetbot-sim[bot]"),
                       ("check_suite", "completed", "fleetbot-sim[bot]")], got
        # An app run on a PR head counts for merging only when its name is required.
        w.sim.set_protection("acme/api", "main", contexts=["build"])
        n = w.sim.open_pr("acme/api")
        head = w.sim.head_sha("acme/api", n)
        st, _, pol = w.c.call("POST", "/repos/acme/api/check-runs", auth=w.auth,
                              body={"name": "fleetbot/policy", "head_sha": head, "status": "in_progress"})
        assert st == 201 and pol["status"] == "in_progress"
        w.rx.clear()
        st, _, pol = w.c.call("PATCH", f"/repos/acme/api/check-runs/{pol['id']}", auth=w.auth, body={
            "conclusion": "success", "output": {"title": "ok", "summary": "allowed", "text": "window open"}})
        assert st == 200 and pol["status"] == "completed"
        assert w.sim.own_check_runs("acme/api", head)[0]["output"]["text"] == "window open"
        assert [(e, a) for e, a, _ in hooks(w)] == [("check_run", "completed"), ("check_suite", "completed")]
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n}/merge", auth=w.auth, body={"sha": head})
        assert st == 405 and body["message"] == 'Required status check "build" is expected.', body
        w.sim.complete_check("acme/api", head, "build")
        w.sim.set_protection("acme/api", "main", contexts=["build", "fleetbot/policy"])
        w.c.call("PATCH", f"/repos/acme/api/check-runs/{pol['id']}", auth=w.auth, body={"conclusion": "failure"})
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n}/merge", auth=w.auth, body={"sha": head})
        assert st == 405 and body["message"] == 'Required status check "fleetbot/policy" is failing.', body
        w.c.call("PATCH", f"/repos/acme/api/check-runs/{pol['id']}", auth=w.auth, body={"conclusion": "success"})
        assert w.c.call("PUT", f"/repos/acme/api/pulls/{n}/merge", auth=w.auth, body={"sha": head})[0] == 200


# ---- commit graph, compare, post-merge executions (Firewatch) -------------------------------

def next_link(w, hdrs):
    nxt = [p for p in hdrs.get("link", "").split(", ") if p.endswith('rel="next"')]
    return nxt[0].split(">")[0].lstrip("<")[len(w.sim.url):] if nxt else None


def test_commit_graph_after_merge_squash_rebase_and_pushes():
    with world() as w:
        sim, repo = w.sim, "acme/api"
        root = sim.branch_sha(repo)
        assert sim.commit_parents(repo, root) == [] and sim.commit_parents(repo, "main") == []
        a, b, c = sim.open_pr(repo), sim.open_pr(repo), sim.open_pr(repo)
        ha, hb1, hc1 = (sim.head_sha(repo, n) for n in (a, b, c))
        assert sim.commit_parents(repo, ha) == [root]              # a PR head starts from its base head
        hb2 = sim.push_to_pr(repo, b)
        hc2 = sim.push_to_pr(repo, c)
        assert sim.commit_parents(repo, hb2) == [hb1] and sim.commit_parents(repo, hc2) == [hc1]
        p1 = sim.push_to_branch(repo)
        assert sim.commit_parents(repo, p1) == [root] and sim.branch_sha(repo) == p1
        hooks(w)
        w.rx.clear()
        # merge: [base head before, PR head]
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{a}/merge", auth=w.auth, body={"sha": ha})
        m1 = body["sha"]
        assert st == 200 and sim.branch_sha(repo) == m1 and sim.commit_parents(repo, m1) == [p1, ha]
        assert sim.merges[-1]["merge_commit_sha"] == m1 and sim.pr(repo, a)["merge_commit_sha"] == m1
        assert sim.commit(repo, m1)["commit"]["message"].startswith(f"Merge pull request #{a} from acme/")
        push = [p for e, _, p in hooks(w) if e == "push"][0]
        assert (push["before"], push["after"], push["head_commit"]["id"]) == (p1, m1, m1)
        assert [(x["id"], x["distinct"]) for x in push["commits"]] == [(ha, False), (m1, True)]
        # squash: one commit on the base head; the PR's own commits stay off main
        w.rx.clear()
        st, _, body = w.c.call("PUT", f"/repos/acme/api/pulls/{b}/merge", auth=w.auth,
                               body={"merge_method": "squash", "commit_title": "Squashed b"})
        m2 = body["sha"]
        assert st == 200 and sim.commit_parents(repo, m2) == [m1] and sim.branch_sha(repo) == m2
        assert sim.commit(repo, m2)["commit"]["message"].startswith("Squashed b")
        assert [x["id"] for x in [p for e, _, p in hooks(w) if e == "push"][0]["commits"]] == [m2]
        # rebase: one new commit per PR commit, chained on the base head
        m3 = sim.merge_pr(repo, c, method="rebase")
        r1 = sim.commit_parents(repo, m3)[0]
        assert sim.commit_parents(repo, r1) == [m2] and sim.branch_sha(repo) == m3
        assert sim.compare(repo, m2, m3)["commits"] == [r1, m3]
        assert sim.commit(repo, r1)["commit"]["message"] == sim.commit(repo, hc1)["commit"]["message"]
        for anc in (root, p1, ha, m1, m2, r1, m3):
            assert sim.is_ancestor(repo, anc, "main"), anc
        for off in (hb1, hb2, hc1, hc2):
            assert not sim.is_ancestor(repo, off, "main"), off
        assert sim.is_ancestor(repo, m3, m3) and not sim.is_ancestor(repo, m3, m1)
        assert sim.is_ancestor(repo, root, hb2) and not sim.is_ancestor(repo, p1, hb2)
        # every landed commit maps back to its PR
        for sha, n in ((m1, a), (m2, b), (r1, c), (m3, c)):
            st, _, prs = w.c.call("GET", f"/repos/acme/api/commits/{sha}/pulls", auth=w.auth)
            assert st == 200 and [p["number"] for p in prs] == [n], (sha, prs)
        st, _, one = w.c.call("GET", f"/repos/acme/api/commits/{m1}", auth=w.auth)
        assert st == 200 and [p["sha"] for p in one["parents"]] == [p1, ha]
        st, _, body = w.c.call("GET", "/repos/acme/api/commits/" + "e" * 40, auth=w.auth)
        assert st == 422 and body["message"] == "No commit found for SHA: " + "e" * 40
        # checks and statuses on default-branch commits, the head or older ones
        w.rx.clear()
        sim.complete_check(repo, m3, "smoke", app_slug="smoke-ci")
        sim.complete_check(repo, m1, "smoke", app_slug="smoke-ci", conclusion="failure")
        sim.set_status(repo, m1, "deploy/prod", "failure")
        got = hooks(w)
        suites = [p["check_suite"] for e, _, p in got if e == "check_suite"]
        assert [(x["head_sha"], x["head_branch"], x["pull_requests"], x["conclusion"]) for x in suites] == [
            (m3, "main", [], "success"), (m1, "main", [], "failure")], suites
        status = [p for e, _, p in got if e == "status"][0]
        assert "main" in [x["name"] for x in status["branches"]] and status["sha"] == m1
        assert sim.has_commit(repo, r1) and w.c.call("POST", "/repos/acme/api/check-runs", auth=w.auth, body={
            "name": "fleetbot/firewatch", "head_sha": r1})[2]["check_suite"]["head_branch"] == "main"


def test_compare_statuses_commit_lists_and_errors():
    with world() as w:
        sim, repo = w.sim, "acme/api"
        root = sim.branch_sha(repo)
        p1 = sim.push_to_branch(repo, message="first")
        n = sim.open_pr(repo)
        x1 = sim.head_sha(repo, n)
        x2 = sim.push_to_pr(repo, n)
        p2 = sim.push_to_branch(repo, message="second")
        br = sim.pr(repo, n)["head"]["ref"]

        def cmp(basehead, **kw):
            return w.c.call("GET", f"/repos/acme/api/compare/{basehead}", auth=w.auth, **kw)

        st, hdrs, body = cmp(f"{p1}...main")
        assert st == 200 and (body["status"], body["ahead_by"], body["behind_by"], body["total_commits"]) == \
            ("ahead", 1, 0, 1)
        assert body["base_commit"]["sha"] == p1 and body["merge_base_commit"]["sha"] == p1
        c0 = body["commits"][0]
        assert c0["sha"] == p2 and c0["commit"]["message"] == "second" and c0["parents"] == [
            {"sha": p1, "url": c0["parents"][0]["url"], "html_url": c0["parents"][0]["html_url"]}]
        assert c0["commit"]["author"]["date"].endswith("Z") and c0["author"]["login"] == "alice"
        assert body["files"] == [] and "link" not in hdrs
        st, _, body = cmp(f"main...{p1}")
        assert (body["status"], body["ahead_by"], body["behind_by"], body["commits"]) == ("behind", 0, 1, [])
        for basehead in ("main...main", f"{p2}...main", f"main...{p2[:7]}", f"heads/main...{p2.upper()}"):
            st, _, body = cmp(basehead)
            assert st == 200 and body["status"] == "identical" and body["total_commits"] == 0, basehead
            assert body["merge_base_commit"]["sha"] == p2
        st, _, body = cmp(f"main...{br}")
        assert (body["status"], body["ahead_by"], body["behind_by"]) == ("diverged", 2, 1)
        assert [c["sha"] for c in body["commits"]] == [x1, x2] and body["merge_base_commit"]["sha"] == p1
        assert body["base_commit"]["sha"] == p2
        st, _, body = cmp(f"{root}...{x2}")
        assert body["status"] == "ahead" and [c["sha"] for c in body["commits"]] == [p1, x1, x2]
        # 404s: an unknown sha or branch, two dots, unrelated histories
        for basehead in ("f" * 40 + "...main", "main..." + "f" * 40, "main...nope", f"main..{p2}"):
            st, _, body = cmp(basehead)
            assert st == 404 and body["message"] == "Not Found", (basehead, body)
        sim.set_status(repo, "b" * 40, "ci", "success")          # a sha the sim did not make: a root
        st, _, body = cmp("main..." + "b" * 40)
        assert st == 404 and body["message"] == "No common ancestor between main and " + "b" * 40 + ".", body
        assert sim.compare(repo, "main", "b" * 40) is None
        # ETag/304 like every GET, and counted in calls()
        st, hdrs, _ = cmp(f"{p1}...{p2}")
        st2, _, body = cmp(f"{p1}...{p2}", headers={"If-None-Match": hdrs["etag"]})
        assert st == 200 and st2 == 304 and body is None
        sim.push_to_branch(repo)
        st3, _, body = cmp(f"{p1}...main", headers={"If-None-Match": hdrs["etag"]})
        assert st3 == 200 and body["ahead_by"] == 2
        assert [c.status for c in sim.calls("GET", r"/compare/")][-3:] == [200, 304, 200]


def test_compare_paginates_beyond_per_page_and_caps_unpaged_at_250():
    with world() as w:
        sim, repo = w.sim, "acme/api"
        root = sim.branch_sha(repo)
        sim.pause_webhooks()                 # 260 pushes; not what this test is about
        shas = [sim.push_to_branch(repo) for _ in range(260)]
        st, hdrs, body = w.c.call("GET", f"/repos/acme/api/compare/{root}...main", auth=w.auth)
        assert st == 200 and body["total_commits"] == 260 and body["ahead_by"] == 260
        assert [c["sha"] for c in body["commits"]] == shas[-250:] and "link" not in hdrs   # the newest 250
        got, path, pages = [], f"/repos/acme/api/compare/{root}...main?per_page=100", 0
        while path:
            st, hdrs, body = w.c.call("GET", path, auth=w.auth)
            assert st == 200 and body["total_commits"] == 260 and body["status"] == "ahead"
            pages += 1
            if pages == 1:
                assert 'rel="last"' in hdrs["link"] and len(body["commits"]) == 100 and body["files"] == []
            else:
                assert "files" not in body
            got += [c["sha"] for c in body["commits"]]
            path = next_link(w, hdrs)
        assert pages == 3 and got == shas
        st, _, body = w.c.call("GET", f"/repos/acme/api/compare/{root}...main?page=2", auth=w.auth)
        assert [c["sha"] for c in body["commits"]] == shas[30:60]                       # per_page 30
        st, _, body = w.c.call("GET", f"/repos/acme/api/compare/{root}...main?per_page=500", auth=w.auth)
        assert len(body["commits"]) == 100


def test_deployments_and_deployment_status_webhooks_and_rest():
    with world() as w:
        sim, repo = w.sim, "acme/api"
        n = sim.open_pr(repo)
        m = sim.merge_pr(repo, n)
        hooks(w)
        w.rx.clear()
        d1 = sim.create_deployment(repo)
        sim.set_deployment_status(repo, d1, "in_progress")
        s2 = sim.set_deployment_status(repo, d1, "failure", environment_url="https://api.acme.test",
                                       log_url="https://deploy.acme.test/logs/1", description="smoke failed")
        older = sim.commit_parents(repo, m)[0]
        d2 = sim.create_deployment(repo, sha=older, environment="staging", creator="deployer[bot]")
        got = hooks(w)
        assert [(e, a) for e, a, _ in got] == [("deployment", "created"), ("deployment_status", "created"),
                                              ("deployment_status", "created"), ("deployment", "created")]
        dep = got[0][2]
        assert dep["deployment"]["id"] == d1 and dep["deployment"]["sha"] == m and dep["deployment"]["ref"] == "main"
        assert (dep["deployment"]["task"], dep["deployment"]["environment"], dep["deployment"]["creator"]["login"]) \
            == ("deploy", "production", "deploy-bot")
        assert dep["workflow"] is None and dep["workflow_run"] is None and dep["sender"]["login"] == "deploy-bot"
        assert dep["deployment"]["production_environment"] is True and dep["deployment"]["created_at"].endswith("Z")
        ds = got[2][2]
        s = ds["deployment_status"]
        assert (s["id"], s["state"], s["environment"], s["environment_url"], s["log_url"], s["target_url"],
                s["description"], s["creator"]["login"]) == (s2, "failure", "production", "https://api.acme.test",
                                                           "https://deploy.acme.test/logs/1",
                                                           "https://deploy.acme.test/logs/1", "smoke failed",
                                                           "deploy-bot")
        assert s["created_at"] and s["updated_at"]
        assert ds["deployment"]["id"] == d1 and ds["deployment"]["sha"] == m and ds["deployment"]["task"] == "deploy"
        assert ds["repository"]["full_name"] == "acme/api" and ds["installation"]["id"] == w.inst
        assert got[1][2]["deployment_status"]["state"] == "in_progress"
        assert got[3][2]["deployment"]["sha"] == older and got[3][2]["sender"]["type"] == "Bot"
        # REST
        st, _, body = w.c.call("GET", "/repos/acme/api/deployments", auth=w.auth)
        assert st == 200 and [x["id"] for x in body] == [d2, d1]                          # newest first
        assert [x["id"] for x in w.c.call("GET", f"/repos/acme/api/deployments?sha={m}", auth=w.auth)[2]] == [d1]
        assert [x["id"] for x in w.c.call("GET", "/repos/acme/api/deployments?environment=staging&task=deploy",
                                          auth=w.auth)[2]] == [d2]
        assert w.c.call("GET", "/repos/acme/api/deployments?ref=nope", auth=w.auth)[2] == []
        st, _, one = w.c.call("GET", f"/repos/acme/api/deployments/{d1}", auth=w.auth)
        assert st == 200 and one["sha"] == m and one["environment"] == "production"
        st, _, sts = w.c.call("GET", f"/repos/acme/api/deployments/{d1}/statuses", auth=w.auth)
        assert st == 200 and [x["state"] for x in sts] == ["failure", "in_progress"]
        st, _, one = w.c.call("GET", f"/repos/acme/api/deployments/{d1}/statuses/{s2}", auth=w.auth)
        assert st == 200 and one["log_url"] == "https://deploy.acme.test/logs/1"
        assert w.c.call("GET", "/repos/acme/api/deployments/999", auth=w.auth)[0] == 404
        assert w.c.call("GET", "/repos/acme/api/deployments/999/statuses", auth=w.auth)[0] == 404
        mine = sim.deployments(repo)
        assert [x["id"] for x in mine] == [d1, d2] and [x["state"] for x in mine[0]["statuses"]] == [
            "in_progress", "failure"]
        try:
            sim.set_deployment_status(repo, d1, "exploded")
            raise AssertionError("bad state accepted")
        except ValueError:
            pass


def test_workflow_run_webhooks_and_rest():
    with world() as w:
        sim, repo = w.sim, "acme/api"
        n = sim.open_pr(repo, title="Bump libfoo")
        m = sim.merge_pr(repo, n)
        hooks(w)
        w.rx.clear()
        rid = sim.run_workflow(repo, conclusion="failure")
        got = hooks(w)
        assert [(e, a) for e, a, _ in got] == [("workflow_run", "requested"), ("workflow_run", "in_progress"),
                                              ("workflow_run", "completed")]
        p = got[2][2]
        run, wf = p["workflow_run"], p["workflow"]
        assert (run["id"], run["name"], run["head_sha"], run["head_branch"], run["event"], run["status"],
                run["conclusion"], run["run_number"], run["run_attempt"], run["path"]) == (
            rid, "CI", m, "main", "push", "completed", "failure", 1, 1, ".github/workflows/ci.yml")
        assert run["html_url"] == f"https://github.com/acme/api/actions/runs/{rid}" and run["pull_requests"] == []
        assert run["workflow_id"] == wf["id"] and (wf["name"], wf["path"]) == ("CI", ".github/workflows/ci.yml")
        assert run["head_commit"]["id"] == m and run["head_commit"]["message"].startswith("Merge pull request")
        assert run["repository"]["full_name"] == "acme/api" and run["created_at"] and run["updated_at"]
        assert p["repository"]["default_branch"] == "main" and got[0][2]["workflow_run"]["status"] == "requested"
        assert got[1][2]["workflow_run"]["conclusion"] is None
        # numbering, a second workflow, a run left in progress, a re-run
        r2 = sim.run_workflow(repo, html_url="https://ci.example/2")
        r3 = sim.run_workflow(repo, name="Deploy", path=".github/workflows/deploy.yml", conclusion=None)
        runs = {x["id"]: x for x in sim.workflow_runs(repo)}
        assert runs[r2]["run_number"] == 2 and runs[r2]["workflow_id"] == run["workflow_id"]
        assert runs[r2]["html_url"] == "https://ci.example/2"
        assert runs[r3]["run_number"] == 1 and runs[r3]["workflow_id"] != run["workflow_id"]
        assert runs[r3]["status"] == "in_progress" and runs[r3]["conclusion"] is None
        hooks(w)
        w.rx.clear()
        sim.complete_workflow_run(repo, r3, "success")
        assert sim.rerun_workflow(repo, rid, "success") == 2
        got = hooks(w)
        assert [(a, x["workflow_run"]["id"], x["workflow_run"]["run_attempt"]) for _, a, x in got] == [
            ("completed", r3, 1), ("requested", rid, 2), ("in_progress", rid, 2), ("completed", rid, 2)]
        # REST
        st, _, one = w.c.call("GET", f"/repos/acme/api/actions/runs/{rid}", auth=w.auth)
        assert st == 200 and one["id"] == rid and one["conclusion"] == "success" and one["run_attempt"] == 2
        assert w.c.call("GET", "/repos/acme/api/actions/runs/12345", auth=w.auth)[0] == 404
        st, _, body = w.c.call("GET", f"/repos/acme/api/actions/runs?head_sha={m}&branch=main&event=push",
                               auth=w.auth)
        assert st == 200 and body["total_count"] == 3 and [x["id"] for x in body["workflow_runs"]] == [r3, r2, rid]
        # a pull_request run on a PR head
        n2 = sim.open_pr(repo)
        h2 = sim.head_sha(repo, n2)
        r4 = sim.run_workflow(repo, sha=h2, event="pull_request")
        body = w.c.call("GET", "/repos/acme/api/actions/runs?event=pull_request&status=success", auth=w.auth)[2]
        x = body["workflow_runs"][0]
        assert body["total_count"] == 1 and x["id"] == r4 and x["head_branch"] == sim.pr(repo, n2)["head"]["ref"]
        assert [p["number"] for p in x["pull_requests"]] == [n2]


# ---- rate limits ---------------------------------------------------------------------------
# ---- rate limits ---------------------------------------------------------------------------

def test_primary_and_secondary_rate_limits():
    with world() as w:
        w.sim.set_rate_limit(w.inst, limit=100, remaining=1)
        st, hdrs, _ = w.c.call("GET", "/repos/acme/api", auth=w.auth)
        assert st == 200 and hdrs["x-ratelimit-remaining"] == "0" and hdrs["x-ratelimit-limit"] == "100"
        st, hdrs, body = w.c.call("GET", "/repos/acme/api", auth=w.auth)
        assert st == 403 and hdrs["x-ratelimit-remaining"] == "0" and int(hdrs["x-ratelimit-reset"]) > time.time()
        assert body["message"] == f"API rate limit exceeded for installation ID {w.inst}."
        st, _, rl = w.c.call("GET", "/rate_limit", auth=w.auth)
        assert st == 200 and rl["resources"]["core"]["remaining"] == 0
        w.sim.rate_limit_status = 429
        assert w.c.call("GET", "/repos/acme/api", auth=w.auth)[0] == 429
        w.sim.set_rate_limit(w.inst, limit=5000, remaining=5000)
        w.sim.secondary_limit_next(count=1, method="PUT", path_regex=r"/merge$", retry_after=30)
        w.sim.secondary_limit_next(count=1, retry_after=None)
        n = w.sim.open_pr("acme/api")
        st, hdrs, body = w.c.call("PUT", f"/repos/acme/api/pulls/{n}/merge", auth=w.auth, body={})
        assert st == 403 and hdrs["retry-after"] == "30" and "secondary rate limit" in body["message"]
        assert int(hdrs["x-ratelimit-remaining"]) > 0
        st, hdrs, body = w.c.call("GET", "/repos/acme/api", auth=w.auth)
        assert st == 403 and "retry-after" not in hdrs and "secondary rate limit" in body["message"]
        assert w.c.call("GET", "/repos/acme/api", auth=w.auth)[0] == 200


# ---- harness -----------------------------------------------------------------------------

def test_redis_server_restart_keeps_aof_data():
    with harness.RedisServer() as r:
        c = r.client()
        c.call("XADD", "fleetbot:s", "*", "k", "v")
        c.call("HSET", "h", "a", "1")
        c.call("ZADD", "z", "5", "m")
        c.call("SADD", "s", "x")
        c.close()
        port = r.port
        r.restart()
        assert r.port == port and r.url == f"redis://127.0.0.1:{port}/0"
        with r.client() as c:
            assert c.xlen("fleetbot:s") == 1 and c.xrange("fleetbot:s")[0][1] == {"k": "v"}
            assert c.hgetall("h") == {"a": "1"} and c.zrange("z") == ["m"] and c.smembers("s") == {"x"}
            assert c.keys() == ["fleetbot:s", "h", "s", "z"] and c.exists("h") == 1 and c.get("nope") is None
            try:
                c.call("NOSUCHCOMMAND")
                raise AssertionError("expected an error reply")
            except harness.RedisError:
                pass
        r.kill()
        r.start()
        with r.client() as c:
            assert c.xlen("fleetbot:s") == 1


def test_wait_until_reports_what_it_waited_for():
    try:
        harness.wait_until(lambda: False, timeout=0.2, what="the moon")
    except AssertionError as exc:
        assert "the moon" in str(exc)
    else:
        raise AssertionError("wait_until did not time out")


if __name__ == "__main__":
    try:
        harness.run_tests()
    finally:
        shutil.rmtree(_KEYDIR, ignore_errors=True)
