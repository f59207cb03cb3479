"""Throughput and latency through Envoy (one worker) for four setups, in one run.

Setups: Envoy alone; Envoy + the null processor (`../shared/bench/null_extproc.c`, compiled at
run time into bench/results/, the limit); Envoy + the semantic-router pass-through; Envoy + a
pass-through processor on Python grpcio (bench/python_extproc.py). Each runs h2load over HTTP/1.1
(16 connections, the same 2 KB chat-completion body) against a fresh Envoy whose backend is a
direct_response listener on the same Envoy. Also measures the router's RSS after 10k and 100k
requests. Prints a markdown table and writes it to bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent
sys.path.insert(0, str(REPO_ROOT / "Tests" / "integration"))

import stack  # noqa: E402

RESULTS = BENCH / "results"
TEMPLATES = BENCH / "envoy"
SETUPS = ["alone", "null", "router", "python"]
LABELS = {
  "alone": "Envoy alone",
  "null": "Envoy + null processor (C, limit)",
  "router": "Envoy + semantic-router (pass-through)",
  "python": "Envoy + Python grpcio pass-through",
}
CONNECTIONS = 16


@dataclass
class LoadResult:
  """One h2load run."""
  requests: int
  succeeded: int
  failed: int
  rps: float
  p50_ms: float
  p99_ms: float
  envoy_cpu_us: float = float("nan")
  processor_cpu_us: float = float("nan")


def cpu_seconds(pid: int) -> float:
  """User + system CPU time of a process (all threads) from /proc/PID/stat."""
  fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
  return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: list[float], fraction: float) -> float:
  """Nearest-rank percentile of already sorted values."""
  if not sorted_values:
    return float("nan")
  rank = max(1, math.ceil(fraction * len(sorted_values)))
  return sorted_values[min(rank, len(sorted_values)) - 1]


def h2load(url: str, body: Path, requests: int, log_file: Path | None = None) -> LoadResult:
  """Runs h2load over HTTP/1.1 and parses its summary (and per-request log, when given)."""
  argv = ["h2load", "--h1", "-c", str(CONNECTIONS), "-n", str(requests), "-d", str(body),
          "-H", "content-type: application/json"]
  if log_file is not None:
    argv += ["--log-file", str(log_file)]
  argv.append(url)
  out = subprocess.run(argv, capture_output=True, text=True, timeout=900)
  text = out.stdout + out.stderr
  finished = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", text)
  counts = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, "
                     r"(\d+) failed, (\d+) errored, (\d+) timeout", text)
  codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
  if out.returncode != 0 or not (finished and counts and codes):
    raise RuntimeError(f"h2load failed ({out.returncode}):\n{text}")
  total = int(counts.group(1))
  ok = int(codes.group(1))
  latencies: list[float] = []
  if log_file is not None:
    for line in log_file.read_text().splitlines():
      columns = line.split("\t")
      if len(columns) >= 3 and columns[1] != "-1":
        latencies.append(int(columns[2]) / 1000.0)
    latencies.sort()
  return LoadResult(requests=total, succeeded=ok, failed=total - ok,
                    rps=float(finished.group(3)),
                    p50_ms=percentile(latencies, 0.50), p99_ms=percentile(latencies, 0.99))


def compile_null_processor() -> Path:
  """Builds the shared null processor into bench/results/ (never committed)."""
  source = REPO_ROOT.parent / "shared" / "bench" / "null_extproc.c"
  if not source.exists():
    source = Path("/work/shared/bench/null_extproc.c")
  binary = RESULTS / "null_extproc"
  if not binary.exists() or binary.stat().st_mtime < source.stat().st_mtime:
    subprocess.run(["cc", "-O2", "-o", str(binary), str(source), "-lnghttp2"], check=True)
  return binary


class Plain(stack.ManagedProcess):
  """A processor started from an argv, ready when its port accepts connections."""

  def __init__(self, name: str, argv: list[str], port: int) -> None:
    self.name = name
    super().__init__()
    self.port = port
    self._spawn(argv)
    if not stack.wait_for_tcp(port, 15):
      self.stop()
      raise stack.StartupError(f"{name} did not listen on {port}\n{self.log_tail()}")

  def __enter__(self) -> "Plain":
    return self


def start_processor(setup: str, router_threads: int | None = None) -> stack.ManagedProcess | None:
  port = stack.free_port()
  if setup == "alone":
    return None
  if setup == "null":
    return Plain("null_extproc", [str(compile_null_processor()), str(port)], port)
  if setup == "router":
    return stack.Router(port, threads=router_threads).start()
  if setup == "python":
    return Plain("python_extproc", [sys.executable, str(BENCH / "python_extproc.py"), str(port)],
                 port)
  raise ValueError(setup)


def run_setup(setup: str, body: Path, requests: int, warmup: int, rss: bool,
              workdir: Path, router_threads: int | None) -> tuple[LoadResult, dict[str, int]]:
  """Starts the processor and Envoy, warms up, measures; for the router also RSS samples."""
  processor = start_processor(setup, router_threads)
  rss_samples: dict[str, int] = {}
  try:
    values = {"backend_port": stack.free_port()}
    template = TEMPLATES / "alone.yaml"
    if processor is not None:
      values["processor_port"] = processor.port
      template = TEMPLATES / "extproc.yaml"
    with stack.Envoy(template, values).start() as envoy:
      url = f"http://127.0.0.1:{envoy.port}/v1/chat/completions"
      done = h2load(url, body, warmup).requests
      if rss and setup == "router":
        if done < 10_000:
          done += h2load(url, body, 10_000 - done).requests
        rss_samples[f"{done}"] = processor.rss_kib()
      before = (cpu_seconds(envoy.pid), cpu_seconds(processor.pid) if processor else 0.0)
      result = h2load(url, body, requests, workdir / f"{setup}.log")
      result.envoy_cpu_us = (cpu_seconds(envoy.pid) - before[0]) / result.requests * 1e6
      if processor is not None:
        result.processor_cpu_us = (cpu_seconds(processor.pid) - before[1]) / result.requests * 1e6
      done += result.requests
      if rss and setup == "router":
        if done < 100_000:
          done += h2load(url, body, 100_000 - done).requests
        rss_samples[f"{done}"] = processor.rss_kib()
      if processor is not None:
        failed = envoy.counters("ext_proc.streams_failed")
        if any(failed.values()):
          print(f"  note: Envoy counted failed ext_proc streams: {failed}", file=sys.stderr)
      if processor is not None and not processor.running():
        raise RuntimeError(f"{setup} processor died\n{processor.log_tail()}")
  finally:
    if processor is not None:
      processor.stop()
  return result, rss_samples


def machine_line() -> str:
  model = "unknown CPU"
  for line in Path("/proc/cpuinfo").read_text().splitlines():
    if line.startswith("model name"):
      model = line.split(":", 1)[1].strip()
      break
  envoy = subprocess.run([str(stack.envoy_binary()), "--version"], capture_output=True,
                         text=True).stdout
  found = re.search(r"version: [0-9a-f]+/([\d.]+)/", envoy)
  envoy_version = found.group(1) if found else "?"
  h2load_version = subprocess.run(["h2load", "--version"], capture_output=True,
                                  text=True).stdout.strip()
  return (f"Machine: `nproc` {len(os.sched_getaffinity(0))}, {model}, "
          f"{platform.system()} {platform.release()}; Envoy {envoy_version} "
          f"(`--concurrency 1`); {h2load_version}.")


def main() -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--requests", "-n", type=int, default=20_000,
                      help="measured requests per setup and round (default 20000)")
  parser.add_argument("--warmup", type=int, default=2_000, help="warm-up requests (default 2000)")
  parser.add_argument("--rounds", type=int, default=3,
                      help="rounds over all setups, interleaved; the table shows each setup's "
                      "median round (default 3)")
  parser.add_argument("--setups", default=",".join(SETUPS),
                      help=f"comma-separated subset of {','.join(SETUPS)}")
  parser.add_argument("--router-threads", type=int,
                      help="the router's --threads (default: its own, one loop per core)")
  parser.add_argument("--no-rss", action="store_true",
                      help="skip the router RSS samples at 10k and 100k requests")
  args = parser.parse_args()
  setups = [s for s in args.setups.split(",") if s]
  unknown = set(setups) - set(SETUPS)
  if unknown:
    parser.error(f"unknown setups: {sorted(unknown)}")
  for tool in ("h2load", "cc"):
    if shutil.which(tool) is None:
      parser.error(f"{tool} not found (apt: nghttp2-client, build-essential)")

  RESULTS.mkdir(parents=True, exist_ok=True)
  workdir = Path(tempfile.mkdtemp(prefix="bench-"))
  body = workdir / "body2k.json"
  body.write_bytes(stack.chat_completion_body(2048))

  rounds: dict[str, list[LoadResult]] = {s: [] for s in setups}
  rss_samples: dict[str, int] = {}
  for round_index in range(args.rounds):
    for setup in setups:
      print(f"[round {round_index + 1}/{args.rounds}] {LABELS[setup]} ...", file=sys.stderr,
            flush=True)
      want_rss = not args.no_rss and round_index == 0
      result, samples = run_setup(setup, body, args.requests, args.warmup, want_rss, workdir,
                                  args.router_threads)
      rss_samples.update(samples)
      print(f"  {result.rps:.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
            f"{result.failed} failed", file=sys.stderr, flush=True)
      rounds[setup].append(result)

  chosen = {s: sorted(rs, key=lambda r: r.rps)[len(rs) // 2] for s, rs in rounds.items()}
  null_rps = chosen["null"].rps if "null" in chosen else None
  lines = [
    f"Envoy 1.40 one worker; `h2load --h1 -c {CONNECTIONS} -n {args.requests}` (after "
    f"{args.warmup} warm-up requests), 2,048-byte chat-completion body; ext_proc: request and "
    "response headers SEND, bodies BUFFERED; backend: direct_response listener on the same "
    f"Envoy. Median of {args.rounds} round(s). CPU columns: CPU time the process used during "
    f"the measured run divided by its requests (steadier than req/s on a shared machine). "
    f"{datetime.date.today().isoformat()}.",
    "",
    "| setup | req/s | ratio vs null | p50 ms | p99 ms | failed | Envoy CPU µs/req "
    "| processor CPU µs/req |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ]
  for setup in setups:
    r = chosen[setup]
    ratio = f"{r.rps / null_rps:.2f}" if null_rps else "-"
    processor_cpu = "-" if setup == "alone" else f"{r.processor_cpu_us:.0f}"
    lines.append(f"| {LABELS[setup]} | {r.rps:,.0f} | {ratio} | {r.p50_ms:.2f} | "
                 f"{r.p99_ms:.2f} | {r.failed} | {r.envoy_cpu_us:.0f} | {processor_cpu} |")
  lines.append("")
  if rss_samples:
    items = sorted(rss_samples.items(), key=lambda kv: int(kv[0]))
    text = ", ".join(f"{int(n):,} requests: {kib / 1024:.1f} MiB" for n, kib in items)
    first, last = items[0][1], items[-1][1]
    change = (last - first) / first * 100
    lines.append(f"Router RSS (VmRSS) after {text} ({change:+.1f}%).")
  if "router" in chosen:
    goals = []
    if null_rps:
      goals.append(f"router/null = {chosen['router'].rps / null_rps:.2f} (goal >= 0.9)")
    if "python" in chosen:
      goals.append(f"router/python = {chosen['router'].rps / chosen['python'].rps:.1f} "
                   "(goal >= 4)")
    goals.append(f"router failed = {chosen['router'].failed} (goal 0)")
    lines.append("Goals: " + "; ".join(goals) + ".")
  lines.append(machine_line())
  report = "\n".join(lines) + "\n"
  print(report)
  (RESULTS / "latest.md").write_text(report)
  print(f"written to {RESULTS / 'latest.md'}", file=sys.stderr)
  shutil.rmtree(workdir, ignore_errors=True)
  return 0


if __name__ == "__main__":
  sys.exit(main())
