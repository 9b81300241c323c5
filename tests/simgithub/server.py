"""HTTP front of the simulated GitHub: a ThreadingHTTPServer (HTTP/1.1, keep-alive, bounded
bodies) and the per-request pipeline GitHub applies: User-Agent, routing, JWT / installation
token auth, scripted faults, secondary and primary rate limits, ETag/304, common headers,
and call recording.

Route handlers live in routes.py; this module holds no GitHub state of its own.
"""
import email.utils
import hashlib
import json
import secrets
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import jwt
from .faults import DEFAULT_MESSAGES, SECONDARY_MESSAGE

DOCS = "https://docs.github.com/rest"
MAX_HEADER_VALUE = 16384


class ApiError(Exception):
    def __init__(self, status, message, headers=None, errors=None, docs=DOCS):
        super().__init__(message)
        self.status, self.message, self.headers, self.errors, self.docs = status, message, headers or {}, errors, docs

    def response(self):
        body = {"message": self.message, "documentation_url": self.docs}
        if self.errors is not None:
            body["errors"] = self.errors
        if self.status >= 400:
            body["status"] = str(self.status)
        return Response(self.status, body, dict(self.headers))


class Response:
    def __init__(self, status, body=None, headers=None):
        self.status, self.body, self.headers = status, body, headers or {}


class Request:
    def __init__(self, method, target, headers, body):
        self.method = method
        split = urllib.parse.urlsplit(target)
        self.path = split.path
        self.query = {k: v[0] for k, v in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()}
        self.headers = headers
        self.body = body
        self.installation_id = None
        self.token = None
        self.request_id = "SIM:" + secrets.token_hex(6).upper()
        self._json = None

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        if not self.body:
            return {}
        if self._json is None:
            try:
                self._json = json.loads(self.body)
            except (ValueError, UnicodeDecodeError):
                raise ApiError(400, "Problems parsing JSON") from None
            if not isinstance(self._json, dict):
                raise ApiError(400, "Problems parsing JSON")
        return self._json


def error_body(status, message):
    return {"message": message, "documentation_url": DOCS, "status": str(status)}


def _etag(raw):
    return '"' + hashlib.sha256(raw).hexdigest()[:40] + '"'


def _etag_matches(inm, etag):
    if not inm:
        return False
    tags = [t.strip() for t in inm.split(",")]
    bare = etag[2:] if etag.startswith("W/") else etag
    return "*" in tags or any((t[2:] if t.startswith("W/") else t) == bare for t in tags)


def _authenticate(sim, req, kind):
    """Fill req.installation_id / req.token, or raise ApiError(401...)."""
    auth = req.header("Authorization") or ""
    scheme, _, cred = auth.partition(" ")
    cred = cred.strip()
    if kind == "jwt":
        if scheme.lower() != "bearer" or not cred:
            raise ApiError(401, "A JSON web token could not be decoded" if auth else "Requires authentication")
        if sim.app_public_key is None:
            raise ApiError(401, jwt.MSG_DECODE)
        n, e = sim.app_public_key
        try:
            jwt.verify(cred, n, e, sim.app_id, sim.client_id, sim.now())
        except jwt.JWTError as exc:
            raise ApiError(401, str(exc)) from None
        return
    if not auth:
        raise ApiError(401, "Requires authentication")
    if scheme.lower() not in ("bearer", "token") or not cred:
        raise ApiError(401, "Bad credentials")
    tok = sim._tokens.get(cred)
    now = sim.now()
    if tok is None or tok.expires <= now:
        raise ApiError(401, "Bad credentials")
    if sim.token_warmup and now < tok.created + sim.token_warmup:
        raise ApiError(401, "Bad credentials")
    inst = sim._installations.get(tok.installation_id)
    if inst is None:
        raise ApiError(401, "Bad credentials")
    req.installation_id, req.token = inst.id, tok


def _bucket(sim, inst_id):
    inst = sim._installations.get(inst_id) if inst_id else None
    if inst is None:
        return None
    now = sim.now()
    if now >= inst.rate_reset:
        inst.rate_used, inst.rate_reset = 0, int(now) + 3600
    return inst


def _rate_headers(sim, inst_id):
    inst = _bucket(sim, inst_id)
    if inst is None:
        return {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "5000", "x-ratelimit-used": "0",
                "x-ratelimit-reset": str(int(sim.now()) + 3600), "x-ratelimit-resource": "core"}
    remaining = max(0, inst.rate_limit - inst.rate_used)
    return {"x-ratelimit-limit": str(inst.rate_limit), "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-used": str(min(inst.rate_used, inst.rate_limit)),
            "x-ratelimit-reset": str(int(inst.rate_reset)), "x-ratelimit-resource": "core"}


def _fault_response(rule, req):
    body = rule.body
    if body is None:
        body = error_body(rule.status, DEFAULT_MESSAGES.get(rule.status, "Error"))
    return Response(rule.status, body, dict(rule.headers or {}))


def dispatch(sim, req, routes):
    """Run one request through GitHub's pipeline; never raises."""
    sim._record_arrival(req.method, req.path)
    delay = sim._faults.take_delay(req.method, req.path)
    if delay > 0:
        time.sleep(delay)
    resp = None
    kind = None
    charged = False
    external = False
    try:
        route, params = routes.match(req.method, req.path)
        external = route is not None and route.auth == "external"   # a server outside GitHub
        if not external and not req.header("User-Agent"):
            raise ApiError(403, "Request forbidden by administrative rules. Please make sure your request "
                                "has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-"
                                "the-rest-api#user-agent-required). Check https://developer.github.com for other "
                                "possible causes.")
        if route is None:
            raise ApiError(404, "Not Found")
        kind = route.auth
        with sim._lock:
            if kind not in ("none", "external"):
                _authenticate(sim, req, kind)
        sec = None if external else sim._faults.take_secondary(req.method, req.path)
        if sec is not None:
            headers = {}
            if sec.retry_after is not None:
                headers["retry-after"] = str(sec.retry_after)
            raise ApiError(sec.status, SECONDARY_MESSAGE.format(rid=req.request_id), headers=headers,
                           docs="https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                                "#about-secondary-rate-limits")
        fault = sim._faults.take_fail(req.method, req.path)
        if fault is not None and not fault.apply:
            resp = _fault_response(fault, req)
        else:
            with sim._lock:
                inst = _bucket(sim, req.installation_id) if kind == "token" and not route.free else None
                if inst is not None and inst.rate_used >= inst.rate_limit:
                    raise ApiError(sim.rate_limit_status,
                                   f"API rate limit exceeded for installation ID {inst.id}.",
                                   docs="https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                                        "#about-the-primary-rate-limit")
                try:
                    resp = route.fn(sim, req, **params)
                except ApiError as exc:
                    resp = exc.response()
                if not isinstance(resp, Response):
                    resp = Response(*resp)
                if inst is not None:
                    resp._inst = inst
            if fault is not None:
                resp = _fault_response(fault, req)
    except ApiError as exc:
        resp = exc.response()
    except Exception as exc:  # a sim bug must show up as a 500 with a reason, not a hung client
        sim._log(f"simgithub: internal error on {req.method} {req.path}: {exc!r}")
        resp = Response(500, error_body(500, f"simgithub internal error: {exc!r}"))

    raw = b""
    if resp.body is not None:
        raw = resp.body if isinstance(resp.body, bytes) else json.dumps(resp.body, indent=None).encode("utf-8")
    headers = {}
    inst = getattr(resp, "_inst", None)
    if req.method in ("GET", "HEAD") and resp.status == 200:
        tag = _etag(raw)
        headers["ETag"] = tag
        if _etag_matches(req.header("If-None-Match"), tag):
            resp = Response(304, None, resp.headers)
            raw = b""
            inst = None          # 304s do not count against the primary limit
    if inst is not None and resp.status != 304:
        with sim._lock:
            inst.rate_used += 1
            charged = True
    if not external:
        with sim._lock:
            rate = _rate_headers(sim, req.installation_id)
        headers.update(rate)
    lower = {k.lower(): k for k in headers}
    for k, v in resp.headers.items():
        headers.pop(lower.get(k.lower(), k), None)
        headers[k] = str(v)
    if not external:
        headers["x-github-request-id"] = req.request_id
        headers["x-github-api-version-selected"] = "2022-11-28"
        headers["x-github-media-type"] = "github.v3; format=json"
    if resp.status != 304 and raw:
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
    sim._record_call(req.method, req.path, resp.status, req.installation_id, req.query, charged)
    return resp.status, headers, raw


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sys_version = ""
    timeout = 30          # idle keep-alive connections are closed after this

    def log_message(self, fmt, *args):
        pass

    def _read_body(self):
        sim = self.server.sim
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > sim.max_body:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(8)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        n = int(length)
        if n < 0 or n > sim.max_body:
            return None
        return self.rfile.read(n)

    def _handle(self):
        sim = self.server.sim
        try:
            body = self._read_body()
        except (ValueError, OSError):
            body = None
        if body is None:
            raw = json.dumps(error_body(413, "Payload too large")).encode()
            self.close_connection = True
            self._write(413, {"Content-Type": "application/json; charset=utf-8", "Connection": "close"}, raw)
            return
        req = Request(self.command, self.path, self.headers, body)
        status, headers, raw = dispatch(sim, req, self.server.routes)
        if self.command == "HEAD":
            raw = b""
        self._write(status, headers, raw)

    def _write(self, status, headers, raw):
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            if raw:
                self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            # the client went away (a test killed it): GitHub would not care either
            self.close_connection = True

    def date_time_string(self, timestamp=None):
        return email.utils.formatdate(self.server.sim.now() if timestamp is None else timestamp, usegmt=True)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, sim, routes):
        self.sim, self.routes = sim, routes
        super().__init__(addr, _Handler)
