"""A throw-away redis-server for integration tests (free loopback port, temp dir, AOF with
fsync always, stop/restart/kill) and a tiny pure-Python RESP2 client for assertions.

The client is blocking and minimal: one connection, no pipelining, no pub/sub, no cluster.
It never touches a Redis it did not start.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from .util import free_port, wait_until


class RedisError(Exception):
    pass


class RespClient:
    """call("XLEN", "k") -> int; bulk strings come back as str (decode=True) or bytes."""

    MAX_BULK = 64 << 20

    def __init__(self, host, port, db=0, timeout=10.0, decode=True):
        self.decode = decode
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._rfile = self._sock.makefile("rb")
        if db:
            self.call("SELECT", db)

    def close(self):
        try:
            self._rfile.close()
            self._sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call(self, *args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode("utf-8")
            parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
        self._sock.sendall(b"".join(parts))
        return self._read()

    execute = call

    def _line(self):
        line = self._rfile.readline(1 << 20)
        if not line.endswith(b"\r\n"):
            raise RedisError("connection closed or protocol error")
        return line[:-2]

    def _read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode() if self.decode else rest
        if kind == b"-":
            raise RedisError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            if n > self.MAX_BULK:
                raise RedisError("bulk reply too large")
            data = self._rfile.read(n + 2)[:-2]
            return data.decode("utf-8", "replace") if self.decode else data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise RedisError(f"unexpected reply type {kind!r}")

    # A few conveniences used by tests.
    def ping(self):
        return self.call("PING")

    def keys(self, pattern="*"):
        return sorted(self.call("KEYS", pattern))

    def get(self, key):
        return self.call("GET", key)

    def exists(self, key):
        return self.call("EXISTS", key)

    def xlen(self, key):
        return self.call("XLEN", key)

    def xrange(self, key, start="-", end="+", count=None):
        args = ["XRANGE", key, start, end] + (["COUNT", count] if count else [])
        return [(eid, dict(zip(fields[::2], fields[1::2]))) for eid, fields in self.call(*args)]

    def hgetall(self, key):
        flat = self.call("HGETALL", key)
        return dict(zip(flat[::2], flat[1::2]))

    def zrange(self, key, start=0, stop=-1, withscores=False):
        if withscores:
            flat = self.call("ZRANGE", key, start, stop, "WITHSCORES")
            return [(m, float(s)) for m, s in zip(flat[::2], flat[1::2])]
        return self.call("ZRANGE", key, start, stop)

    def smembers(self, key):
        return set(self.call("SMEMBERS", key))


class RedisServer:
    def __init__(self, appendonly=True, binary="redis-server", extra_args=()):
        self.appendonly = appendonly
        self.binary = shutil.which(binary) or binary
        self.extra_args = list(extra_args)
        self.dir = tempfile.mkdtemp(prefix="fleetbot-redis-")
        self.port = free_port()
        self.proc = None
        self.log_path = os.path.join(self.dir, "redis.log")
        self.start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout=10.0):
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--dir", self.dir, "--daemonize", "no", "--logfile", self.log_path,
                "--protected-mode", "no"]
        if self.appendonly:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        args += self.extra_args
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"redis-server exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                with RespClient("127.0.0.1", self.port, timeout=1.0) as c:
                    return c.ping() == "PONG"
            except (OSError, RedisError):
                return False
        wait_until(up, timeout, what=f"redis-server on port {self.port} to answer PING")
        return self

    def client(self, decode=True):
        return RespClient("127.0.0.1", self.port, decode=decode)

    def stop(self, timeout=10.0):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self):
        """Stop and start again on the same port and data dir (the AOF is reloaded)."""
        self.stop()
        return self.start()

    def log_tail(self, n=20):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
