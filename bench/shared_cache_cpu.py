"""Router CPU per request and end-to-end latency with the semantic cache in memory and in Redis.

For each backend: stub vLLMs, one router (release build) and Envoy 1.40 from the shipped config
(the cache in memory, or in a redis-server started here on a free port), then `--requests`
sequential chat requests through Envoy over one connection, a quarter of them repeats (hits).
Prints one JSON line per backend: router CPU (user + system, from /proc) per request, and the
client's p50/p99 latency for hits and misses.

  .venv/bin/python bench/shared_cache_cpu.py [--requests N]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))
sys.path.insert(0, str(ROOT / "Tests" / "integration"))

import e2e_stack  # noqa: E402
from redis_process import RedisProcess  # noqa: E402

MODEL = "llama-3.1-8b"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
  fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
  return (int(fields[11]) + int(fields[12])) / TICKS


def percentile(values: list[float], p: float) -> float:
  ordered = sorted(values)
  return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0.0


def run(backend: str, requests: int, backends, directory: Path) -> dict:
  with ExitStack() as running:
    path = e2e_stack.write_router_config(
      directory / f"router-{backend}.yaml", e2e_stack.endpoints_of(backends))
    config = yaml.safe_load(path.read_text())
    if backend == "redis":
      redis = running.enter_context(RedisProcess())
      redis.start()
      config["semantic_cache"].update(
        {"backend": "redis", "redis": {"address": f"127.0.0.1:{redis.port}"}})
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    routed = running.enter_context(e2e_stack.RoutedStack(path, with_admin=True))
    conn = http.client.HTTPConnection("127.0.0.1", routed.envoy.port, timeout=30)
    latencies: dict[str, list[float]] = {"hit": [], "miss": []}
    start_cpu = cpu_seconds(routed.router.pid)
    for index in range(requests):
      # Every fourth request repeats an earlier question: a hit once it was stored.
      number = index - 3 if index % 4 == 3 else index
      question = f"Question number {number}: explain {['tides', 'rust', 'jazz', 'tax'][number % 4]}"
      question += " " + " ".join(f"w{number * 7 + k}" for k in range(6))
      started = time.perf_counter()
      status, headers, _ = e2e_stack.post_chat(
        routed.envoy.port, {"model": MODEL, "messages": [{"role": "user", "content": question}]},
        conn=conn)
      elapsed = (time.perf_counter() - started) * 1e6
      assert status == 200, status
      latencies["hit" if headers.get("x-vsr-cache-hit") == "true" else "miss"].append(elapsed)
    used = cpu_seconds(routed.router.pid) - start_cpu
    conn.close()
    return {
      "benchmark": "router_cpu_per_request", "backend": backend, "requests": requests,
      "hits": len(latencies["hit"]),
      "router_cpu_us_per_request": round(used * 1e6 / requests, 1),
      "hit_p50_us": round(percentile(latencies["hit"], 0.5)),
      "hit_p99_us": round(percentile(latencies["hit"], 0.99)),
      "miss_p50_us": round(percentile(latencies["miss"], 0.5)),
      "miss_p99_us": round(percentile(latencies["miss"], 0.99)),
    }


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--requests", type=int, default=2000)
  arguments = parser.parse_args()
  with ExitStack() as running, tempfile.TemporaryDirectory() as directory:
    backends = e2e_stack.start_backends(running, otlp_url=None)
    for backend in ("memory", "redis"):
      print(json.dumps(run(backend, arguments.requests, backends, Path(directory))), flush=True)


if __name__ == "__main__":
  main()
