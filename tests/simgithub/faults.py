"""Scripted faults for the simulated GitHub: "answer the next matching requests with status X"
(optionally after performing the real effect), "sleep before handling", and secondary rate
limits. Thread-safe, with its own small lock (never held while handling a request).

It does not decide primary rate limits (server.py) and never fires on its own timer.
"""
import re
import threading
from dataclasses import dataclass
from typing import Optional

DEFAULT_MESSAGES = {
    400: "Problems parsing JSON", 401: "Bad credentials", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 409: "Conflict", 410: "Gone", 422: "Validation Failed",
    429: "Too Many Requests", 500: "Server Error", 502: "Server Error", 503: "Service Unavailable",
    504: "We couldn't respond to your request in time. Sorry about that.",
}

SECONDARY_MESSAGE = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try "
                     "again. If you reach out to GitHub Support for help, please include the request ID {rid}.")


@dataclass
class Rule:
    method: Optional[str]
    path_re: Optional[re.Pattern]
    count: int
    status: int = 0
    body: object = None
    headers: Optional[dict] = None
    apply: bool = False
    seconds: float = 0.0
    retry_after: Optional[int] = None

    def matches(self, method, path):
        if self.method not in (None, "*") and self.method.upper() != method:
            return False
        return self.path_re is None or self.path_re.search(path) is not None


def _compile(path_regex):
    if path_regex is None:
        return None
    return re.compile(path_regex)


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._fail = []
        self._delay = []
        self._secondary = []

    def _take(self, rules, method, path):
        with self._lock:
            for rule in rules:
                if rule.count > 0 and rule.matches(method, path):
                    rule.count -= 1
                    if rule.count == 0:
                        rules.remove(rule)
                    return rule
        return None

    def fail_next(self, method, path_regex, status, body=None, headers=None, count=1, apply=False):
        if count < 1:
            raise ValueError("count must be >= 1")
        with self._lock:
            self._fail.append(Rule(method, _compile(path_regex), count, status, body, headers, apply))

    def delay_next(self, method, path_regex, seconds, count=1):
        with self._lock:
            self._delay.append(Rule(method, _compile(path_regex), count, seconds=float(seconds)))

    def secondary_limit_next(self, count=1, method=None, path_regex=None, retry_after=60, status=403):
        with self._lock:
            self._secondary.append(Rule(method, _compile(path_regex), count, status=status,
                                        retry_after=retry_after))

    def take_fail(self, method, path):
        return self._take(self._fail, method, path)

    def take_delay(self, method, path):
        rule = self._take(self._delay, method, path)
        return rule.seconds if rule else 0.0

    def take_secondary(self, method, path):
        return self._take(self._secondary, method, path)

    def clear(self):
        with self._lock:
            self._fail.clear()
            self._delay.clear()
            self._secondary.clear()
