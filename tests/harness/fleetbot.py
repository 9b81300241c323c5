"""Start and stop the fleetbot binary (`fleetbot serve`) for integration tests, wired to a
test Redis and the simulated GitHub through FLEETBOT_* environment variables, with its
output captured to a log file whose tail is shown on failure.

It does not build fleetbot; $FLEETBOT_BIN (set by ctest) points at the binary.
"""
import http.client
import os
import signal
import subprocess
import tempfile

from .util import free_port, wait_until


def fleetbot_bin():
    """The binary from $FLEETBOT_BIN, or None when it is not set or not built."""
    path = os.environ.get("FLEETBOT_BIN")
    return path if path and os.access(path, os.X_OK) else None


class Fleetbot:
    def __init__(self, bin_path, env, port=None, workdir=None, args=("serve",), start=True):
        """env: FLEETBOT_* settings (REDIS_URL, GITHUB_API_URL, APP_ID, PRIVATE_KEY_FILE,
        WEBHOOK_SECRET, extras). FLEETBOT_LISTEN is set from `port` (free port by default)."""
        self.bin_path = bin_path
        self.port = port or free_port()
        self.dir = workdir or tempfile.mkdtemp(prefix="fleetbot-run-")
        self.log_path = os.path.join(self.dir, f"fleetbot-{self.port}.log")
        self.env = {k: str(v) for k, v in env.items() if v is not None}
        self.env["FLEETBOT_LISTEN"] = f"127.0.0.1:{self.port}"
        self.args = list(args)
        self.proc = None
        self._log = None
        if start:
            self.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook_url(self):
        return self.url + "/webhook"

    def start(self):
        full_env = dict(os.environ)
        full_env.update(self.env)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.bin_path] + self.args, env=full_env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def get(self, path, timeout=5.0):
        """(status, body bytes) of GET path on fleetbot's HTTP port."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"User-Agent": "fleetbot-tests"})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def wait_ready(self, timeout=20.0):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"fleetbot exited with {self.proc.returncode} before ready:\n"
                                     f"{self.log_tail()}")
            try:
                return self.get("/readyz", timeout=2.0)[0] == 200
            except OSError:
                return False
        try:
            wait_until(ready, timeout, interval=0.1, what=f"fleetbot {self.url}/readyz to answer 200")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- fleetbot log tail ---\n{self.log_tail()}") from None
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace=5.0):
        """SIGTERM, then SIGKILL after `grace` seconds; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        return code

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        return self.stop()

    def restart(self):
        self.stop()
        return self.start()

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, n=40):
        return "".join(self.log_text().splitlines(keepends=True)[-n:])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            print(f"--- fleetbot log tail ({self.log_path}) ---\n{self.log_tail()}", flush=True)
        self.stop()
