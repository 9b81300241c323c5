"""A small in-process HTTP receiver that records what POSTs it gets (method, path, headers,
exact body), for testing the simulated GitHub's webhooks without fleetbot.

It answers a configurable status and verifies nothing; tests do their own checks.
"""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(n, 32 << 20))
        rec = self.server.owner
        with rec.cv:
            rec.requests.append({"method": "POST", "path": self.path,
                                 "headers": {k: v for k, v in self.headers.items()}, "body": body})
            rec.cv.notify_all()
        status = rec.status
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


class WebhookReceiver:
    def __init__(self, status=202):
        self.status = status
        self.requests = []
        self.cv = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)
        self._thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhook"

    def wait_for(self, count, timeout=10.0):
        with self.cv:
            if not self.cv.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"expected {count} webhooks, got {len(self.requests)} in {timeout}s")
            return list(self.requests)

    def clear(self):
        with self.cv:
            self.requests.clear()

    def close(self):
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
