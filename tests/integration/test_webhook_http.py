"""Integration: every bad-input case of POST /webhook gets its status and a one-line
reason, the process keeps serving, and a signed but malformed body ends in the dead-letter
stream with a clear error. Requests are raw HTTP against the fleetbot binary."""
import hashlib
import hmac
import http.client
import json
import socket
import os
import subprocess
import uuid

import harness
from fleet import Fleet


def sign(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(body, headers=None, path="/webhook", method="POST", sign_with=None, omit=()):
    h = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "User-Agent": "GitHub-Hookshot/test",
        "X-Hub-Signature-256": sign(sign_with or F.secret, body),
    }
    h.update(headers or {})
    for k in omit:
        h.pop(k, None)
    conn = http.client.HTTPConnection("127.0.0.1", F.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


BODY = json.dumps({"action": "labeled", "installation": {"id": 1},
                   "repository": {"full_name": "acme/x", "default_branch": "main"},
                   "pull_request": {"number": 1, "state": "open", "head": {"sha": "a" * 40},
                                    "labels": []}}).encode()


def alive():
    assert F.bot.get("/healthz")[0] == 200


def test_valid_delivery_accepted_then_duplicate_ignored():
    guid = str(uuid.uuid4())
    assert post(BODY, {"X-GitHub-Delivery": guid})[0] == 202
    status, text = post(BODY, {"X-GitHub-Delivery": guid})
    assert status == 200 and "duplicate" in text, (status, text)


def test_signature_missing_or_wrong_is_401():
    assert post(BODY, omit=("X-Hub-Signature-256",))[0] == 401
    assert post(BODY, sign_with="not-the-secret")[0] == 401
    assert post(BODY, {"X-Hub-Signature-256": "sha1=abc"})[0] == 401
    assert post(BODY, {"X-Hub-Signature-256": "sha256=" + "0" * 64})[0] == 401
    alive()


def test_missing_headers_are_400():
    assert post(BODY, omit=("X-GitHub-Event",))[0] == 400
    assert post(BODY, omit=("X-GitHub-Delivery",))[0] == 400
    alive()


def test_method_path_type_and_size():
    assert post(BODY, method="GET")[0] == 405
    assert post(BODY, path="/nope")[0] == 404
    assert post(BODY, {"Content-Type": "text/plain"})[0] == 415
    big = b"{" + b" " * (26 * 1024 * 1024) + b"}"
    try:
        status = post(big)[0]
    except (ConnectionError, socket.error, http.client.HTTPException):
        status = 413  # the server may close before reading everything; it must still serve
    assert status == 413, status
    alive()


def test_form_encoded_delivery_is_accepted():
    import urllib.parse
    body = ("payload=" + urllib.parse.quote_plus(BODY.decode())).encode()
    assert post(body, {"Content-Type": "application/x-www-form-urlencoded"})[0] == 202


def test_ping_is_answered():
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    status, text = post(body, {"X-GitHub-Event": "ping"})
    assert status == 200 and "pong" in text, (status, text)


def test_signed_malformed_json_goes_to_dead_letter():
    guid = str(uuid.uuid4())
    assert post(b'{"action": "opened", ', {"X-GitHub-Delivery": guid})[0] == 202
    r = F.redis_cli()

    def dead():
        return next((e for _, e in r.xrange("fb:dead") if e.get("delivery") == guid), None)
    harness.wait_until(dead, 30, what="malformed delivery in fb:dead")
    assert "malformed JSON" in dead()["error"], dead()
    # and operators see it
    out = subprocess.run([harness.fleetbot_bin(), "dead-letters", "list"], capture_output=True,
                         text=True, env=dict(os.environ, FLEETBOT_REDIS_URL=F.redis.url), timeout=30)
    assert out.returncode == 0 and guid in out.stdout and "malformed JSON" in out.stdout, out
    dead_id = next(i for i, e in r.xrange("fb:dead") if e.get("delivery") == guid)
    again = subprocess.run([harness.fleetbot_bin(), "dead-letters", "replay", dead_id],
                           capture_output=True, text=True,
                           env=dict(os.environ, FLEETBOT_REDIS_URL=F.redis.url), timeout=30)
    assert again.returncode == 0, again
    # replayed, it fails the same way and is dead again, under a new id: nothing is lost
    harness.wait_until(lambda: [i for i, e in r.xrange("fb:dead") if e.get("delivery") == guid
                                and i != dead_id], 30, what="the replayed letter back in fb:dead")
    alive()


def test_redis_down_is_503_and_recovers():
    F._client = None
    F.redis.kill()
    harness.wait_until(lambda: F.bot.get("/readyz")[0] == 503, 20, what="not ready without redis")
    status, text = post(BODY)
    assert status == 503 and text.strip(), (status, text)
    alive()
    F.redis.start()
    harness.wait_until(lambda: F.bot.get("/readyz")[0] == 200, 30, what="ready again")
    assert post(BODY)[0] == 202


def test_slow_client_does_not_block_others():
    slow = [socket.create_connection(("127.0.0.1", F.port)) for _ in range(8)]
    for s in slow:  # each sends half a request and stalls
        s.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    assert post(BODY)[0] == 202
    assert F.bot.get("/healthz")[0] == 200
    for s in slow:
        s.close()


F = None

if __name__ == "__main__":
    with Fleet() as F:
        harness.run_tests()
