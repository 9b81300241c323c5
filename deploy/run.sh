#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs fleetbot.
# With App credentials (FLEETBOT_APP_ID, FLEETBOT_PRIVATE_KEY_FILE, FLEETBOT_WEBHOOK_SECRET[_FILE],
# in the environment or an --env-file) it serves the real GitHub App; without them it runs the
# sandbox: a local Redis, a simulated GitHub with a small fleet, and fleetbot merging a shift.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh
build=${FLEETBOT_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target fleetbot >/dev/null

has_env_file=no
for arg in "$@"; do [ "$arg" = "--env-file" ] && has_env_file=yes; done
if [ "$has_env_file" = yes ] || { [ -n "${FLEETBOT_APP_ID:-}" ] && [ -n "${FLEETBOT_PRIVATE_KEY_FILE:-}" ] &&
     { [ -n "${FLEETBOT_WEBHOOK_SECRET:-}" ] || [ -n "${FLEETBOT_WEBHOOK_SECRET_FILE:-}" ]; }; }; then
  exec "$build/fleetbot" serve "$@"
fi
echo "fleetbot: no App credentials configured; starting the sandbox (Ctrl-C to stop)"
exec python3 deploy/sandbox.py --fleetbot "$build/fleetbot" "$@"
