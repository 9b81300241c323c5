"""simgithub - a simulated GitHub (REST + App auth + signed webhooks) that runs inside the
test process, for fleetbot's integration tests and sandbox. See README.md for the API.
It is a test double shaped by shared/reference/github-contract.md, not a GitHub clone.
"""
from .sim import Call, SimGitHub
from .webhooks import signature_256

__all__ = ["SimGitHub", "Call", "signature_256"]
