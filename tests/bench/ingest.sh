#!/bin/sh
# ingest.sh - webhook ingest benchmark: signed deliveries in, 202s out, events in Redis.
#
# Starts its own redis-server (AOF on, appendfsync always: every 202 is fsync'ed before it
# is sent) on a free port, a receiver-only fleetbot (`fleetbot serve` with
# FLEETBOT_ROLES=receiver when built, else tests/bench_receiver), generates signed payloads
# (ingest_gen.py), runs wrk at 16 and 64 connections, and prints deliveries/s, latency
# percentiles, fleetbot's peak RSS (VmHWM), and XLEN fb:events against the 202 count.
# Nothing consumes the stream. Usage: tests/bench/ingest.sh [BUILD_DIR]
# Env: DURATION (10s), THREADS (wrk threads, 1: the machine has 2 cores for 3 processes), CONNS ("16 64"), PAYLOADS (200),
#      FSYNC (always|everysec|no, default always), AOF_REWRITE_PCT (Redis'
#      auto-aof-rewrite-percentage, default 100; 0 = no rewrite forks while the unconsumed
#      stream grows by ~100 MB/s, which a consumed production stream never does).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build-rx}
duration=${DURATION:-10s}
threads=${THREADS:-1}
conns=${CONNS:-16 64}
fsync=${FSYNC:-always}
secret=bench-secret-$$

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

work=$(mktemp -d /tmp/fleetbot-ingest-XXXXXX)
redis_pid= bot_pid=
cleanup() {
    [ -n "$bot_pid" ] && kill "$bot_pid" 2>/dev/null || true
    [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

rport=$(free_port)
hport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --dir "$work" --save '' \
    --appendonly yes --appendfsync "$fsync" \
    --auto-aof-rewrite-percentage "${AOF_REWRITE_PCT:-100}" --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!

python3 "$here/ingest_gen.py" --out "$work/payloads" --secret "$secret" --count "${PAYLOADS:-200}"

export FLEETBOT_LISTEN=127.0.0.1:$hport
export FLEETBOT_REDIS_URL=redis://127.0.0.1:$rport/0
export FLEETBOT_WEBHOOK_SECRET=$secret
export FLEETBOT_ROLES=receiver
export FLEETBOT_LOG_LEVEL=info
if [ -x "$build/fleetbot" ]; then
    server="$build/fleetbot serve"
else
    server="$build/tests/bench_receiver"
fi
$server 2>"$work/fleetbot.log" &
bot_pid=$!

i=0
until curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
        echo "fleetbot did not become ready"; cat "$work/fleetbot.log"; exit 1
    fi
    sleep 0.1
done

echo "server: $server (pid $bot_pid); redis $(redis-server --version | cut -d' ' -f3) appendonly yes appendfsync $fsync auto-aof-rewrite-percentage ${AOF_REWRITE_PCT:-100}"
echo "machine: $(nproc) cores; wrk -t$threads -d$duration --latency"
total_accepted=0
for c in $conns; do
    INGEST_DIR="$work/payloads" INGEST_RUN="c$c" \
        wrk -t"$threads" -c"$c" -d"$duration" --latency -s "$here/ingest.lua" \
        "http://127.0.0.1:$hport/webhook" >"$work/wrk-$c.txt"
    line=$(grep INGEST_RESULT "$work/wrk-$c.txt")
    echo "connections=$c ${line#INGEST_RESULT }"
    acc=$(echo "$line" | sed 's/.*accepted=\([0-9]*\).*/\1/')
    total_accepted=$((total_accepted + acc))
done

hwm=$(grep VmHWM "/proc/$bot_pid/status" | awk '{print $2}')
echo "fleetbot peak RSS (VmHWM): $((hwm / 1024)) MiB ($hwm kB)"

kill -TERM "$bot_pid"
wait "$bot_pid" 2>/dev/null || true
bot_pid=
sleep 0.2
xlen=$(redis-cli -p "$rport" XLEN fb:events)
keys=$(redis-cli -p "$rport" --scan --pattern 'fb:delivery:*' | wc -l)
server_accepted=$(sed -n 's/.*receiver stats accepted=\([0-9]*\).*/\1/p' "$work/fleetbot.log")
server_unavail=$(sed -n 's/.*receiver stats.* unavailable=\([0-9]*\).*/\1/p' "$work/fleetbot.log")
echo "XLEN fb:events=$xlen  fb:delivery:* keys=$keys  202s seen by wrk=$total_accepted  202s sent by server=${server_accepted:-n/a} (503s at shutdown: ${server_unavail:-n/a})"
# wrk stops mid-flight: requests it sent but did not wait for may still be accepted, so
# the stream can hold up to one event per connection more than wrk counted.
max_conn=$(echo $conns | tr ' ' '\n' | sort -n | tail -1)
ok=yes
[ "$xlen" -ge "$total_accepted" ] || ok=no
[ $((xlen - total_accepted)) -le $((max_conn * 2)) ] || ok=no
[ "$xlen" -eq "$keys" ] || ok=no
# requests still waiting for Redis at shutdown are answered 503 although their script may
# have run (the safe direction: a redelivery is then a 200 duplicate), hence the range
if [ -n "$server_accepted" ]; then
    [ "$xlen" -ge "$server_accepted" ] || ok=no
    [ "$xlen" -le $((server_accepted + ${server_unavail:-0})) ] || ok=no
fi
echo "stream check: $ok"
[ "$ok" = yes ]
