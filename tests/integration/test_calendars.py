"""Integration: holiday calendars named by URL. With the clock at Tuesday 2026-11-24 10:00 UTC:
a team whose calendar (served by the simulated GitHub's unauthenticated /ext/ route over plain
http on 127.0.0.1) marks today waits for tomorrow's window, naming the holiday, and a second
PR of the team is decided from the process's copy without asking the server again; the
calendar request carries no credentials (checked on a server of our own that records every
header); a calendar URL answering 404 and a plain http:// URL elsewhere are configuration
errors naming the URL, never a merge."""
import http.server
import threading

import harness
from fleet import AUTOMERGE, Fleet, green, green_repo

NOW = "2026-11-24T10:00:00Z"
F = None
INST = None
RECORDER = None

ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:r\r\n"
       "DTSTART;VALUE=DATE:20261124\r\nDTEND;VALUE=DATE:20261125\r\nSUMMARY:Remote Day\r\n"
       "END:VEVENT\r\nEND:VCALENDAR\r\n")
ICS_OTHER = ICS.replace("Remote Day", "Recorded Day").replace("UID:r", "UID:o")


class Recorder:
    """A calendar server outside GitHub that keeps the headers of every request."""

    def __init__(self, text):
        self.requests = []
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                rec.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                body = text.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("ETag", '"v1"')
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def org_file():
    return ("defaults:\n  team: core\nteams:\n  core:\n    timezone: UTC\n"
            "  remote:\n    timezone: UTC\n    holidays:\n      calendars: [\"%s\"]\n"
            "  recorded:\n    timezone: UTC\n    holidays:\n      calendars: [\"%s/cal/team.ics\"]\n"
            "  gone:\n    timezone: UTC\n    holidays:\n      calendars: [\"%s\"]\n"
            % (F.sim.external_url("team.ics"), RECORDER.url, F.sim.external_url("missing.ics")))


def setup_org():
    inst = F.sim.add_installation(account="cal")
    F.sim.add_repo("cal/.github", installation=inst, default_branch="main")
    F.sim.set_external("team.ics", ICS)
    F.sim.set_file("cal/.github", "fleetbot.yml", org_file())
    return inst


def repo(name, team, inst=None):
    green_repo(F, name, installation=inst or INST)
    F.sim.set_file(name, ".github/fleetbot.yml", "team: %s\n" % team)
    n = F.sim.open_pr(name, labels=[AUTOMERGE])
    green(F, name, n)
    return n


def test_a_holiday_from_a_calendar_url_waits_for_the_next_working_day():
    n = repo("cal/api", "remote")
    d = F.wait_decision("cal/api", n, "wait",
                        contains="2026-11-24 is a holiday for team remote (Remote Day)")
    assert "Wed 2026-11-25 09:00 UTC" in d["reason"], d
    fetched = F.sim.calls("GET", r"^/ext/team\.ics$")
    assert [c.status for c in fetched] == [200], fetched
    # a second PR of the team: decided from this process's copy, the server is not asked again
    m = repo("cal/web", "remote")
    F.wait_decision("cal/web", m, "wait", contains="holiday for team remote (Remote Day)")
    assert len(F.sim.calls("GET", r"^/ext/team\.ics$")) == 1, F.sim.calls("GET", r"^/ext/")
    F.settle()
    assert not F.merges_of("cal/api", n) and not F.merges_of("cal/web", m)


def test_the_calendar_request_carries_no_credentials():
    n = repo("cal/rec", "recorded")
    F.wait_decision("cal/rec", n, "wait", contains="holiday for team recorded (Recorded Day)")
    assert RECORDER.requests, "the calendar server was never asked"
    for path, headers in RECORDER.requests:
        assert path == "/cal/team.ics", path
        assert "authorization" not in headers, headers
        assert not any("token" in v.lower() or "bearer" in v.lower() for v in headers.values()), headers
        assert "if-none-match" not in headers, headers  # the first fetch is unconditional
        assert headers.get("user-agent", "").startswith("fleetbot"), headers


def test_a_calendar_url_answering_404_is_a_configuration_error():
    n = repo("cal/gone", "gone")
    url = F.sim.external_url("missing.ics")
    d = F.wait_decision("cal/gone", n, "blocked", contains="invalid policy configuration")
    assert "holiday calendar %s could not be fetched: HTTP 404" % url in d["reason"], d
    assert "cal/.github/fleetbot.yml:" in d["reason"], d
    F.settle()
    assert not F.merges_of("cal/gone", n)


def test_a_plain_http_calendar_url_is_refused():
    # an org of its own: the refusal may be reported for the whole org file
    inst = F.sim.add_installation(account="plain")
    F.sim.add_repo("plain/.github", installation=inst, default_branch="main")
    F.sim.set_file("plain/.github", "fleetbot.yml", "teams:\n  plain:\n    timezone: UTC\n"
                   "    holidays:\n      calendars: [\"http://example.com/h.ics\"]\n")
    n = repo("plain/app", "plain", inst)
    d = F.wait_decision("plain/app", n, "blocked", contains="invalid policy configuration")
    assert "http://example.com/h.ics" in d["reason"] and "must be" in d["reason"], d
    assert "https://" in d["reason"], d
    assert "plain/.github/fleetbot.yml:" in d["reason"], d
    F.settle()
    assert not F.merges_of("plain/app", n)


if __name__ == "__main__":
    RECORDER = Recorder(ICS_OTHER)
    try:
        with Fleet(fleetbot_env={"FLEETBOT_NOW": NOW}) as F:
            INST = setup_org()
            harness.run_tests()
    finally:
        RECORDER.stop()
