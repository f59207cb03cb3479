#!/usr/bin/env bash
# CPU per OTLP export of one batch (512 spans of the router's shape), OTLP/HTTP (libcurl) beside
# OTLP/gRPC (our nghttp2 client): starts bench/otlp_http_sink.py and bench/otlp_sink.py on free
# loopback ports, runs `RouterBenchmarks exporters` (release build) against them and prints a
# Markdown table, then the receivers' counts. Arguments go to RouterBenchmarks:
#
#   bench/otlp_exporters.sh [--batch 512] [--exports 200] [--rounds 5]
#
# ROUTER_BENCHMARKS=PATH runs that RouterBenchmarks binary instead of building one.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="$root/.venv/bin/python"
[ -x "$py" ] || { echo "needs the project's venv: make venv" >&2; exit 2; }

bin="${ROUTER_BENCHMARKS:-}"
if [ -z "$bin" ]; then
  (cd "$root" && swift build -c release --product RouterBenchmarks >&2)
  bin="$(cd "$root" && swift build -c release --show-bin-path)/RouterBenchmarks"
fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Starts receiver $1 (a script in bench/) on a free port, sets sink_port once it listens.
start_sink() {
  sink_port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "$py" "$root/bench/$1" "$sink_port" > "$work/$1.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 600); do
    grep -q "listening on" "$work/$1.out" && return
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "$1 did not start:" >&2
  cat "$work/$1.out" >&2
  exit 1
}

start_sink otlp_http_sink.py
http_port="$sink_port"
start_sink otlp_sink.py
grpc_port="$sink_port"
"$bin" exporters --grpc-endpoint "127.0.0.1:$grpc_port" \
  --http-endpoint "http://127.0.0.1:$http_port/v1/traces" "$@" > "$work/results"

"$py" - "$work/results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print("| exporter | spans per export | exports per round | rounds | CPU µs/export | CPU µs/span "
      "| rounds' CPU µs/export | wall µs/export |")
print("|---|---:|---:|---:|---:|---:|---|---:|")
for r in rows:
  rounds = ", ".join(f"{v:.0f}" for v in r["round_cpu_us_per_export"])
  print(f"| {r['exporter']} | {r['batch']} | {r['exports']} | {r['rounds']} "
        f"| {r['cpu_us_per_export']:.0f} | {r['cpu_us_per_span']:.3f} | {rounds} "
        f"| {r['wall_us_per_export']:.0f} |")
PY
for pid in "${pids[@]}"; do kill "$pid"; wait "$pid" || true; done
pids=()
echo
echo "receivers: OTLP/HTTP $(tail -1 "$work/otlp_http_sink.py.out"), OTLP/gRPC $(tail -1 "$work/otlp_sink.py.out")"
