#!/usr/bin/env bash
# Installs what fleetbot needs to build, run and test on Debian 12, and nothing else.
# Idempotent: packages already present are left alone. Must run as root (or via sudo).
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config git
  libevent-dev libssl-dev libjansson-dev libcurl4-openssl-dev libgit2-dev libhiredis-dev libyaml-dev libical-dev
  redis-server redis-tools python3 openssl curl tzdata
  clang libclang-rt-14-dev wrk
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "fleetbot: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
