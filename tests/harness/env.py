"""FleetEnv: one context manager that starts what an end-to-end test needs - a RedisServer,
fresh App credentials, the simulated GitHub pointed at fleetbot's /webhook, and fleetbot
itself - and stops all of it (in reverse order) even when the test fails.

It builds no fleet: tests script installations, repos and PRs on env.sim themselves.
"""
import contextlib
import shutil
import tempfile

import simgithub

from .fleetbot import Fleetbot, fleetbot_bin
from .keys import make_app_key, make_secret
from .redis import RedisServer
from .runner import skip
from .util import free_port


class FleetEnv:
    def __init__(self, app_id=4242, fleetbot=True, bin_path=None, env=None, sim_options=None,
                 ready_timeout=20.0):
        self.app_id = app_id
        self.want_fleetbot = fleetbot
        self.bin_path = bin_path or fleetbot_bin()
        self.extra_env = dict(env or {})
        self.sim_options = dict(sim_options or {})
        self.ready_timeout = ready_timeout
        self.redis = self.sim = self.bot = None
        self.dir = None
        self._stack = contextlib.ExitStack()

    def __enter__(self):
        if self.want_fleetbot and not self.bin_path:
            skip("FLEETBOT_BIN is not set or not executable")
        try:
            self.dir = tempfile.mkdtemp(prefix="fleetbot-it-")
            self._stack.callback(shutil.rmtree, self.dir, True)
            self.key_path, self.public_key = make_app_key(self.dir)
            self.secret = make_secret()
            self.redis = self._stack.enter_context(RedisServer())
            port = free_port()
            self.sim = simgithub.SimGitHub(app_id=self.app_id, app_public_key=self.public_key,
                                           webhook_url=f"http://127.0.0.1:{port}/webhook",
                                           webhook_secret=self.secret, **self.sim_options)
            self._stack.enter_context(self.sim)
            if self.want_fleetbot:
                self.bot = Fleetbot(self.bin_path, self.bot_env(), port=port, workdir=self.dir)
                self._stack.enter_context(self.bot)
                self.bot.wait_ready(self.ready_timeout)
            return self
        except BaseException:
            self._stack.close()
            raise

    def bot_env(self):
        env = {"FLEETBOT_REDIS_URL": self.redis.url, "FLEETBOT_GITHUB_API_URL": self.sim.url,
               "FLEETBOT_APP_ID": self.app_id, "FLEETBOT_PRIVATE_KEY_FILE": self.key_path,
               "FLEETBOT_WEBHOOK_SECRET": self.secret}
        env.update(self.extra_env)
        return env

    def __exit__(self, *exc):
        self._stack.__exit__(*exc)
        return False
