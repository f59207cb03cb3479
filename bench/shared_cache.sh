#!/usr/bin/env bash
# Semantic-cache lookup latency (p50, p99) and CPU per lookup, in memory and in Redis: starts
# Debian's redis-server on a free loopback port (no persistence, its own temp dir), runs
# `RouterBenchmarks cache` (release build) against it, stops it. Prints one JSON line per backend.
#   bench/shared_cache.sh [--entries N] [--lookups N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
swift build -c release --product RouterBenchmarks >&2
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
dir="$(mktemp -d)"
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
  --daemonize no >"$dir/redis.log" 2>&1 &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; rm -rf "$dir"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
.build/release/RouterBenchmarks cache --redis "127.0.0.1:$port" "$@"
