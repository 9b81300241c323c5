"""What fleetbot's pipeline integration tests share, on top of harness/: a Fleet is a real
redis-server, the simulated GitHub and one or more fleetbot processes wired together, plus
the waits and lookups the scenarios assert with. Not a test file itself."""
import shutil
import tempfile
import time

import harness
import simgithub

AUTOMERGE = "fleetbot/automerge"
MERGE_PATH = r"/repos/[^/]+/[^/]+/pulls/\d+/merge$"


class Fleet:
    """Starts Redis, the simulated GitHub and fleetbot; stop() ends all of them."""

    def __init__(self, fleetbot_env=None, start=True):
        self.dir = tempfile.mkdtemp(prefix="fleetbot-it-")
        self.redis = harness.RedisServer()
        self.key_path, self.public_key = harness.make_app_key(self.dir)
        self.secret = harness.make_secret()
        self.app_id = 4242
        self.port = harness.free_port()
        self.sim = simgithub.SimGitHub(app_id=self.app_id, app_public_key=self.public_key,
                                       webhook_url="http://127.0.0.1:%d/webhook" % self.port,
                                       webhook_secret=self.secret)
        self.sim.start()
        self.env = {
            "FLEETBOT_REDIS_URL": self.redis.url,
            "FLEETBOT_GITHUB_API_URL": self.sim.url,
            "FLEETBOT_APP_ID": str(self.app_id),
            "FLEETBOT_PRIVATE_KEY_FILE": self.key_path,
            "FLEETBOT_WEBHOOK_SECRET": self.secret,
            "FLEETBOT_DEBOUNCE_MS": "100",
            "FLEETBOT_LOG_LEVEL": "debug",
        }
        self.env.update(fleetbot_env or {})
        self.bots = []
        self._client = None
        if start:
            self.start_bot(port=self.port)

    def start_bot(self, port=None, extra_env=None, name=None):
        env = dict(self.env)
        env.update(extra_env or {})
        if name:
            env["FLEETBOT_CONSUMER"] = name
        bot = harness.Fleetbot(harness.fleetbot_bin(), env, port=port, workdir=self.dir)
        self.bots.append(bot)
        bot.wait_ready(30)
        return bot

    @property
    def bot(self):
        return self.bots[0]

    def stop(self):
        """Stops everything; then fails if a fleetbot did not exit cleanly on SIGTERM (an
        exit code other than 0 - under the sanitizers, a leak or error report)."""
        problems = []
        for b in self.bots:
            try:
                was_running = b.alive()
                code = b.stop()
                report = [l for l in b.log_text().splitlines()
                          if "Sanitizer" in l or "runtime error:" in l]
                if (was_running and code != 0) or report:
                    problems.append("fleetbot %s exited with %s\n%s" % (b.log_path, code,
                                                                      "\n".join(report[:20])))
            except Exception as exc:
                problems.append(repr(exc))
        if self._client:
            self._client.close()
        try:
            self.sim.stop()
        finally:
            self.redis.close()
        if problems:
            raise AssertionError("\n".join(problems) + "\n(logs kept in %s)" % self.dir)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        failed = exc[0] is not None and not (exc[0] is SystemExit and exc[1].code in (0, None))
        if failed:
            print("---- fleetbot logs ----\n" + self.logs(), flush=True)
        self.stop()

    def logs(self, chars=8000):
        return "\n".join(b.log_text()[-chars:] for b in self.bots)

    def redis_cli(self):
        if self._client is None:
            self._client = self.redis.client()
        return self._client

    def merges_of(self, repo, number):
        return [m for m in self.sim.merges if m["repo"] == repo and m["number"] == number]

    def decision(self, repo, number):
        try:
            return self.redis_cli().hgetall("fb:pr:%s#%d" % (repo, number))
        except (OSError, harness.RedisError):
            self._client = None
            raise

    def wait_merged(self, repo, number, timeout=30):
        harness.wait_until(lambda: self.merges_of(repo, number), timeout,
                           what="%s#%d merged" % (repo, number))
        return self.merges_of(repo, number)

    def wait_decision(self, repo, number, decision, contains=None, timeout=30):
        def ok():
            d = self.decision(repo, number)
            return d.get("decision") == decision and (contains is None or contains in d.get("reason", ""))
        try:
            harness.wait_until(ok, timeout, what="%s#%d decision %s %s" % (repo, number, decision,
                                                                            contains or ""))
        except AssertionError as exc:
            raise AssertionError("%s; last decision %r" % (exc, self.decision(repo, number))) from None
        return self.decision(repo, number)

    def settle(self, seconds=1.5):
        """Lets in-flight deliveries and evaluations finish; used only before asserting that
        something did NOT happen (a merge, a second merge, an API call)."""
        self.sim.wait_webhooks_idle(10)
        time.sleep(seconds)


def green_repo(fleet, name, installation=None, protection=("build",), ruleset=("test",)):
    """A repo whose default branch requires `protection` (classic) and `ruleset` checks."""
    inst = installation or fleet.sim.add_installation(account=name.split("/")[0])
    fleet.sim.add_repo(name, installation=inst, default_branch="main")
    if protection:
        fleet.sim.set_protection(name, "main", contexts=list(protection))
    if ruleset:
        fleet.sim.set_ruleset_checks(name, "main", list(ruleset))
    return inst


def green(fleet, repo, number, names=("build", "test")):
    """Completes the named check runs successfully on the PR's head; returns the head."""
    sha = fleet.sim.head_sha(repo, number)
    for name in names:
        fleet.sim.complete_check(repo, sha, name, conclusion="success")
    return sha
