"""The soak: mixed traffic through Envoy 1.40 and the full router for SOAK_MINUTES (default 10),
at about 80% of the saturation rate it measures first, while the router's resources are sampled.

The stack is the one `make demo` runs (deploy/router-config.yaml on stub vLLMs, the semantic
cache on), with tracing sampled at 10% (`probabilistic`, rate 0.1) to bench/otlp_sink.py. The
load is an open-loop HTTP/1.1 client (bench/soak_client.py): requests start on a fixed schedule,
and latency counts from the scheduled start, so a stall shows up instead of slowing the load.

Every 10 s it samples the router's RSS, descriptors and threads, and the window's p50/p99 and
unexpected failures. It writes bench/results/soak.md (the table and the verdict) and
bench/results/soak.png (the plot), and exits 1 when a goal is missed:
- 0 unexpected failures (expected: 200 for chat, cache hits and SSE; 400 for invalid JSON; a
  cancelled request is the client's own doing);
- RSS and descriptors flat after the warm-up: every later sample within ±10% of the first;
- spans received by the collector = spans the router sampled, none dropped.

Usage: bench/soak [--minutes M] [--warmup-seconds S] [--saturation-seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent
sys.path.insert(0, str(REPO_ROOT / "Tests" / "integration"))
sys.path.insert(0, str(REPO_ROOT / "Tests" / "e2e"))

import e2e_stack  # noqa: E402
import stack  # noqa: E402
from bench import machine_line, sink_count, start_sink  # noqa: E402
from soak_client import KINDS, Outcome, SoakClient  # noqa: E402

RESULTS = BENCH / "results"
SAMPLE_SECONDS = 10
#: The share of the measured saturation rate the soak runs at.
LOAD_FRACTION = 0.8
TRACE_SAMPLING_RATE = 0.1


@dataclass
class Sample:
  """One 10 s window: the router's resources at its end, and the requests that ended in it."""
  elapsed: float
  rss_kib: int
  descriptors: int
  threads: int
  requests: int
  p50_ms: float
  p99_ms: float
  unexpected: int


@dataclass
class Soak:
  samples: list[Sample] = field(default_factory=list)
  outcomes: list[Outcome] = field(default_factory=list)


def proc_status(pid: int, key: str) -> int:
  for line in Path(f"/proc/{pid}/status").read_text().splitlines():
    if line.startswith(key + ":"):
      return int(line.split()[1])
  raise RuntimeError(f"no {key} for pid {pid}")


def percentile(values: list[float], fraction: float) -> float:
  if not values:
    return 0.0
  ordered = sorted(values)
  return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def window_sample(pid: int, elapsed: float, window: list[Outcome]) -> Sample:
  latencies = [o.latency * 1000 for o in window if o.expected]
  return Sample(
    elapsed=elapsed, rss_kib=proc_status(pid, "VmRSS"),
    descriptors=len(os.listdir(f"/proc/{pid}/fd")), threads=proc_status(pid, "Threads"),
    requests=len(window), p50_ms=percentile(latencies, 0.50), p99_ms=percentile(latencies, 0.99),
    unexpected=sum(not o.expected for o in window))


async def run_soak(client: SoakClient, rate: float, seconds: float, pid: int) -> Soak:
  """Runs the open-loop load for `seconds`, sampling every SAMPLE_SECONDS."""
  soak = Soak()
  load = asyncio.create_task(client.open_loop(rate, seconds))
  started = time.monotonic()
  taken = 0
  while not load.done():
    await asyncio.wait({load}, timeout=SAMPLE_SECONDS)
    if load.done():
      break  # a partial window: its requests count, it is not a sample
    window = client.outcomes[taken:]
    taken += len(window)
    soak.samples.append(window_sample(pid, time.monotonic() - started, window))
    soak.outcomes.extend(window)
    print(f"  {soak.samples[-1]}", flush=True)
  await load
  soak.outcomes.extend(client.outcomes[taken:])
  return soak


def flat(values: list[int], tolerance: float = 0.10) -> bool:
  """Every value within ±tolerance of the first."""
  return all(abs(v - values[0]) <= tolerance * values[0] for v in values)


def plot(soak: Soak, warmup: float, path: Path, title: str) -> None:
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  minutes = [s.elapsed / 60 for s in soak.samples]
  figure, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
  rss = [s.rss_kib / 1024 for s in soak.samples]
  axes[0].plot(minutes, rss, label="RSS (MiB)")
  axes[0].set_ylabel("RSS (MiB)")
  axes[0].set_ylim(0, max(rss) * 1.3)
  axes[0].legend(loc="lower left")
  twin = axes[0].twinx()
  twin.plot(minutes, [s.descriptors for s in soak.samples], color="tab:orange",
            label="descriptors")
  twin.plot(minutes, [s.threads for s in soak.samples], color="tab:green", label="threads")
  twin.set_ylabel("descriptors, threads")
  twin.set_ylim(0, max(max(s.descriptors, s.threads) for s in soak.samples) * 1.3)
  twin.legend(loc="lower right")
  axes[1].plot(minutes, [s.p50_ms for s in soak.samples], label="p50")
  axes[1].plot(minutes, [s.p99_ms for s in soak.samples], label="p99")
  axes[1].set_ylabel("latency (ms)")
  axes[1].set_ylim(bottom=0)
  axes[1].legend(loc="upper right")
  axes[2].plot(minutes, [s.requests / SAMPLE_SECONDS for s in soak.samples], label="requests/s")
  axes[2].plot(minutes, [s.unexpected for s in soak.samples], label="unexpected failures",
               color="tab:red")
  axes[2].set_ylabel("per 10 s window")
  axes[2].set_xlabel("minutes")
  axes[2].legend(loc="lower right")
  for axis in axes:
    axis.axvline(warmup / 60, color="grey", linestyle=":")
    axis.grid(alpha=0.3)
  figure.suptitle(title, fontsize=10)
  figure.tight_layout()
  figure.savefig(path, dpi=90)


def report(args, soak: Soak, saturation: float, rate: float, spans: dict[str, int],
           cache: dict[str, float]) -> tuple[list[str], bool]:
  after = [s for s in soak.samples if s.elapsed > args.warmup_seconds]
  unexpected = [o for o in soak.outcomes if not o.expected]
  by_kind = {kind: sum(o.kind == kind for o in soak.outcomes) for kind in KINDS}
  p99s = [s.p99_ms for s in after]
  goals = [
    ("0 unexpected failures", not unexpected, f"{len(unexpected)} of {len(soak.outcomes)}"),
    ("RSS flat (±10%) after warm-up", flat([s.rss_kib for s in after]),
     f"{min(s.rss_kib for s in after)}–{max(s.rss_kib for s in after)} KiB"),
    ("descriptors flat (±10%) after warm-up", flat([s.descriptors for s in after]),
     f"{min(s.descriptors for s in after)}–{max(s.descriptors for s in after)}"),
    ("spans received = spans sampled, none dropped",
     spans["received"] == spans["sampled"] and spans["dropped"] == 0,
     f"{spans['received']} received, {spans['sampled']} sampled, {spans['dropped']} dropped"),
  ]
  lines = [
    f"# Soak: {args.minutes:g} min of mixed traffic through Envoy and the full router",
    "",
    f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by `bench/soak"
    f" --minutes {args.minutes:g}`; {machine_line().rstrip('.')}.",
    "",
    f"Saturation (closed loop, {args.saturation_seconds:g} s): {saturation:.0f} requests/s; "
    f"the soak ran open-loop at {LOAD_FRACTION:.0%} of it, {rate:.0f} requests/s. Mix: "
    + ", ".join(f"{kind} {count}" for kind, count in by_kind.items())
    + f". Cache: {cache['hits']:.0f} hits, {cache['misses']:.0f} misses. Tracing: 10% "
    f"sampled. p99 after warm-up: {min(p99s):.1f}–{max(p99s):.1f} ms.",
    "",
    "| goal | met | seen |",
    "|---|---|---|",
  ]
  lines += [f"| {goal} | {'yes' if met else 'NO'} | {seen} |" for goal, met, seen in goals]
  lines += [
    "",
    "| minute | RSS (KiB) | descriptors | threads | requests | p50 (ms) | p99 (ms) | unexpected |",
    "|---|---|---|---|---|---|---|---|",
  ]
  lines += [
    f"| {s.elapsed / 60:.1f} | {s.rss_kib} | {s.descriptors} | {s.threads} | {s.requests} | "
    f"{s.p50_ms:.1f} | {s.p99_ms:.1f} | {s.unexpected} |" for s in soak.samples]
  if unexpected:
    lines += ["", "First unexpected failures:", ""]
    lines += [f"- {o.kind}: {o.detail}" for o in unexpected[:10]]
  return lines, all(met for _, met, _ in goals)


def metric_sum(text: str, name: str) -> float:
  """The sum of every sample of `name` in a Prometheus text page (0 when absent)."""
  total = 0.0
  for line in text.splitlines():
    if line.startswith(name + " ") or line.startswith(name + "{"):
      total += float(line.rsplit(" ", 1)[1])
  return total


def main() -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--minutes", type=float,
                      default=float(os.environ.get("SOAK_MINUTES", "10")))
  parser.add_argument("--warmup-seconds", type=float, default=60)
  parser.add_argument("--saturation-seconds", type=float, default=20)
  args = parser.parse_args()
  RESULTS.mkdir(exist_ok=True)

  with ExitStack() as cleanup:
    sink = start_sink()
    cleanup.callback(sink.stop)
    backends = e2e_stack.start_backends(cleanup, otlp_url=None)
    config = e2e_stack.write_router_config(
      stack.scratch_dir() / "soak-router-config.yaml", e2e_stack.endpoints_of(backends),
      tracing=e2e_stack.tracing_section(
        f"127.0.0.1:{sink.port}", sampling="probabilistic", rate=TRACE_SAMPLING_RATE,
        schedule_delay="1s"))
    routed = cleanup.enter_context(e2e_stack.RoutedStack(config, with_admin=True))
    pid = routed.router.pid
    client = SoakClient("127.0.0.1", routed.envoy.port)

    print("measuring saturation (closed loop)...", flush=True)
    saturation = asyncio.run(client.closed_loop(concurrency=32,
                                                seconds=args.saturation_seconds))
    rate = LOAD_FRACTION * saturation
    print(f"saturation {saturation:.0f} requests/s; soak at {rate:.0f} requests/s for "
          f"{args.minutes:g} min", flush=True)
    client.outcomes.clear()
    soak = asyncio.run(run_soak(client, rate, args.minutes * 60, pid))

    # Every sampled span leaves the queue; then the collector's count is final.
    deadline = time.monotonic() + 30
    while True:
      text = routed.metrics()
      sampled = metric_sum(text, "semantic_router_spans_sampled_total")
      done = sum(metric_sum(text, f"semantic_router_spans_{kind}_total")
                 for kind in ("exported", "dropped", "failed"))
      if done >= sampled or time.monotonic() > deadline:
        break
      time.sleep(0.5)
    spans = {"sampled": int(sampled),
             "dropped": int(metric_sum(text, "semantic_router_spans_dropped_total")
                            + metric_sum(text, "semantic_router_spans_failed_total")),
             "received": sink_count(sink)}
    cache = {"hits": metric_sum(text, "semantic_router_cache_hits_total"),
             "misses": metric_sum(text, "semantic_router_cache_misses_total")}

  lines, met = report(args, soak, saturation, rate, spans, cache)
  (RESULTS / "soak.md").write_text("\n".join(lines) + "\n")
  plot(soak, args.warmup_seconds, RESULTS / "soak.png",
       f"bench/soak: {args.minutes:g} min at {rate:.0f} requests/s through Envoy + the full "
       f"router, {os.cpu_count()} cores")
  print("\n".join(lines))
  print(f"\nwrote {RESULTS / 'soak.md'} and {RESULTS / 'soak.png'}")
  return 0 if met else 1


if __name__ == "__main__":
  sys.exit(main())
