"""Webhook delivery for the simulated GitHub: one thread POSTs queued deliveries, in order,
to the configured URL with GitHub's headers and a real HMAC-SHA256 signature over the exact
bytes, and records each attempt for /app/hook/deliveries.

Pause/resume (optionally reversed = out of order), drop and redeliver (same GUID) are the
test controls. Like GitHub it never retries a failed delivery by itself.
"""
import hashlib
import hmac
import http.client
import json
import threading
import time
import urllib.parse
import uuid
from collections import deque

from .model import Delivery

TIMEOUT = 10.0     # GitHub drops a delivery not answered within 10 s
USER_AGENT = "GitHub-Hookshot/sim"


def signature_256(secret, body):
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_1(secret, body):
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()


def encode_body(payload, content_type):
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if content_type == "form":
        return b"payload=" + urllib.parse.quote_plus(raw).encode("ascii"), "application/x-www-form-urlencoded"
    return raw, "application/json"


class Deliverer:
    """Owns the outgoing queue. `record` is called (without our lock) after every attempt."""

    def __init__(self, sim):
        self._sim = sim
        self._cv = threading.Condition()
        self._queue = deque()
        self._paused = False
        self._inflight = False
        self._drop = 0
        self._drop_record = True
        self._stopped = False
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, name="simgithub-webhooks", daemon=True)
        self._thread.start()

    def stop(self):
        with self._cv:
            self._stopped = True
            self._cv.notify_all()
        if self._thread:
            self._thread.join(timeout=TIMEOUT + 2)

    def build(self, event, payload, guid=None, redelivery=False, installation_id=None, repository_id=None):
        sim = self._sim
        body, ctype = encode_body(payload, sim.webhook_content_type)
        guid = guid or str(uuid.uuid4())
        headers = {
            "X-GitHub-Event": event, "X-GitHub-Delivery": guid, "X-GitHub-Hook-ID": str(sim.hook_id),
            "X-GitHub-Hook-Installation-Target-Type": "integration",
            "X-GitHub-Hook-Installation-Target-ID": str(sim.app_id),
            "User-Agent": USER_AGENT, "Content-Type": ctype, "Accept": "*/*",
        }
        if sim.webhook_secret:
            headers["X-Hub-Signature"] = signature_1(sim.webhook_secret, body)
            headers["X-Hub-Signature-256"] = signature_256(sim.webhook_secret, body)
        return Delivery(id=sim._next_id("delivery"), guid=guid, event=event, action=payload.get("action"),
                        installation_id=installation_id, repository_id=repository_id, body=body,
                        headers=headers, redelivery=redelivery)

    def enqueue(self, delivery):
        with self._cv:
            self._queue.append(delivery)
            self._cv.notify_all()

    def pause(self):
        with self._cv:
            self._paused = True

    def resume(self, order="fifo"):
        if order not in ("fifo", "reverse"):
            raise ValueError("order must be 'fifo' or 'reverse'")
        with self._cv:
            if order == "reverse":
                self._queue.reverse()
            self._paused = False
            self._cv.notify_all()

    def drop_next(self, n, record=True):
        with self._cv:
            self._drop += n
            self._drop_record = record

    def pending(self):
        with self._cv:
            return len(self._queue) + (1 if self._inflight else 0)

    def wait_idle(self, timeout):
        with self._cv:
            return self._cv.wait_for(lambda: not self._queue and not self._inflight, timeout)

    def _run(self):
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._stopped or (self._queue and not self._paused))
                if self._stopped:
                    return
                d = self._queue.popleft()
                self._inflight = True
                drop = self._drop > 0
                if drop:
                    self._drop -= 1
                record = not drop or self._drop_record
            try:
                if drop:
                    d.delivered_at, d.status_code, d.status = time.time(), 0, "Dropped by the simulation"
                else:
                    self._send(d)
                if record:
                    self._sim._record_delivery(d)
            finally:
                with self._cv:
                    self._inflight = False
                    self._cv.notify_all()

    def _send(self, d):
        url = self._sim.webhook_url
        d.delivered_at = time.time()
        if not url:
            d.status_code, d.status = 0, "No webhook URL configured"
            return
        u = urllib.parse.urlsplit(url)
        conn = None
        try:
            conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=TIMEOUT)
            conn.request("POST", (u.path or "/") + (("?" + u.query) if u.query else ""), body=d.body,
                         headers=d.headers)
            resp = conn.getresponse()
            resp.read(1 << 20)
            d.status_code = resp.status
            d.status = "OK" if 200 <= resp.status < 300 else f"Invalid HTTP Response: {resp.status}"
        except (OSError, http.client.HTTPException) as exc:
            d.status_code, d.status = 0, f"We couldn't deliver this payload: {type(exc).__name__}"
        finally:
            d.duration = time.time() - d.delivered_at
            if conn is not None:
                conn.close()
