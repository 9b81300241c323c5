"""harness - what fleetbot's integration tests share: a real redis-server with a pure-Python
RESP client, run-time App keys and JWT signing, the fleetbot process wrapper, a webhook
receiver, polling helpers, FleetEnv (everything at once) and the script-style test runner.

Standard library only; it builds nothing and never touches processes it did not start.
"""
from .env import FleetEnv
from .fleetbot import Fleetbot, fleetbot_bin
from .keys import make_app_key, make_secret, sign_jwt
from .receiver import WebhookReceiver
from .redis import RedisError, RedisServer, RespClient
from .runner import Skip, run_tests, skip
from .util import free_port, wait_until

__all__ = ["FleetEnv", "Fleetbot", "fleetbot_bin", "make_app_key", "make_secret", "sign_jwt",
           "WebhookReceiver", "RedisError", "RedisServer", "RespClient", "Skip", "run_tests", "skip",
           "free_port", "wait_until"]
