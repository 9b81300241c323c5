#!/bin/sh
# evaluate.sh - policy evaluation benchmark: starts a throwaway redis-server (no RDB, no
# AOF) on a free loopback port, runs bench_evaluate against it (10,000 repos x 10 tracked
# PRs by default), and stops Redis again. It builds nothing.
# Usage: tests/bench/evaluate.sh [BUILD_DIR [REPOS [PRS_PER_REPO]]]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build-bench}
shift 2>/dev/null || true
bench=$build/tests/bench_evaluate
[ -x "$bench" ] || { echo "no $bench: cmake --build $build --target bench_evaluate"; exit 2; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
work=$(mktemp -d /tmp/fleetbot-evaluate-XXXXXX)
redis_pid=
cleanup() {
    [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no \
    --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
i=0
until redis-cli -p "$port" ping >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -le 100 ] || { echo "redis did not start"; cat "$work/redis.log"; exit 1; }
    sleep 0.1
done

echo "machine: $(nproc) cores; redis $(redis-server --version | cut -d' ' -f3) on port $port (no persistence)"
rc=0
"$bench" "$port" "$@" || rc=$?
echo "redis memory: $(redis-cli -p "$port" info memory | sed -n 's/^used_memory_human:\(.*\)\r*$/\1/p' | tr -d '\r')"
exit $rc
