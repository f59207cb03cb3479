"""The router's spans, decoded by an independent OTLP/gRPC receiver (grpcio + opentelemetry-proto)
and an OTLP/HTTP receiver, with requests driven through a real Envoy 1.40 to stub vLLM backends
that trace too (their `vllm.generate` spans must hang under our upstream span).

Needs the router binary (SEMANTIC_ROUTER_BIN or .build/release/semantic-router) and the venv's
Envoy; every process a test starts is stopped by the test.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import re
import secrets
import signal
import socket
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack  # noqa: E402
import tracing_stack as ts  # noqa: E402
from otlp_receiver import OTLPReceiver  # noqa: E402
from vllm_stub_process import VLLMStubProcess  # noqa: E402

SERVICE = "vllm-semantic-router"


def new_trace_id() -> str:
  return secrets.token_hex(16)


@pytest.fixture(scope="module")
def backends(receiver):
  """Two stub vLLMs (one per model) exporting their own spans to the receiver."""
  with VLLMStubProcess(name="math", model="math-model", otlp_url=receiver.url) as math, \
       VLLMStubProcess(name="chat", model="chat-model", otlp_url=receiver.url) as chat:
    yield {"math-model": math, "chat-model": chat}


@pytest.fixture
def traced_stack(tmp_path, receiver, backends):
  """`start(tracing=..., tracing_collector=None) -> (router, envoy)`: the router with that
  `observability.tracing` (default: OTLP/gRPC to `receiver`, 100 ms batches) behind Envoy."""
  with contextlib.ExitStack() as cleanup:
    def start(tracing: dict | None = None, tracing_collector: str | None = None,
              env: dict[str, str] | None = None):
      settings = tracing or {
        "enabled": True,
        "exporter": {"type": "otlp", "endpoint": receiver.endpoint},
        "batch": {"schedule_delay": "100ms"},
      }
      config = ts.write_router_config(
        tmp_path, {name: stub.url for name, stub in backends.items()}, settings)
      router = cleanup.enter_context(stack.Router(config=str(config), env=env).start())
      envoy = ts.envoy_for(config, router.port, tmp_path, tracing_collector)
      cleanup.enter_context(envoy.start())
      return router, envoy
    yield start


def backend_traceparents(backends, trace_id: str) -> list[str]:
  """The traceparent headers the backends received on the given trace."""
  seen = []
  for stub in backends.values():
    for request in stub.debug_requests():
      value = request["headers"].get("traceparent", "")
      if value.split("-")[1:2] == [trace_id]:
        seen.append(value)
  return seen


def sentinel(receiver, envoy) -> None:
  """Sends a sampled request and waits for its spans: everything the router exported before it
  has arrived too (one batch processor, exports in order)."""
  trace_id = new_trace_id()
  reply = ts.post(envoy.port, ts.math_question(), {"traceparent": ts.traceparent(trace_id)})
  assert reply.status == 200, reply.body
  receiver.wait_for_trace(trace_id, ts.ROUTER_SPANS)


# MARK: - Span tree, attributes, resource


def test_routed_request_continues_the_client_trace_with_five_spans_and_the_backend_below(
    traced_stack, receiver, backends):
  router, envoy = traced_stack()
  trace_id = new_trace_id()
  reply = ts.post(envoy.port, ts.math_question(), {
    "traceparent": ts.traceparent(trace_id), "tracestate": "vendor=abc",
    "baggage": "user=alice",
  })
  assert reply.status == 200, reply.body
  assert reply.headers["x-vsr-selected-model"] == "math-model"
  usage = reply.json()["usage"]

  spans = receiver.wait_for_trace(trace_id, set(ts.ROUTER_SPANS) | {"vllm.generate"})
  ours = ts.by_name([s for s in spans if s.service_name == SERVICE])
  assert set(ours) == set(ts.ROUTER_SPANS)
  root, upstream = ours[ts.ROOT], ours[ts.UPSTREAM]

  # Parent links: root under the client's span, the four others siblings under the root.
  assert root.parent_span_id == ts.CLIENT_SPAN_ID
  assert root.kind == "SERVER"
  assert root.flags & 0x3FF == 0x301  # sampled, parent known to be remote
  for name in ts.ROUTER_SPANS[1:]:
    child = ours[name]
    assert child.parent_span_id == root.span_id, name
    assert child.flags & 0x3FF == 0x101, name
    assert root.start_time_unix_nano <= child.start_time_unix_nano, name
    assert child.start_time_unix_nano < child.end_time_unix_nano <= root.end_time_unix_nano, name
    assert child.status_code == "UNSET", name
  assert upstream.kind == "CLIENT"
  assert ours["semantic_router.classification"].kind == "INTERNAL"
  assert (ours["semantic_router.routing.decision"].end_time_unix_nano
          <= upstream.start_time_unix_nano)

  # The backend's span hangs under our upstream span; it received our traceparent.
  backend_span = next(s for s in spans if s.name == "vllm.generate")
  assert backend_span.parent_span_id == upstream.span_id
  received = next(r for r in backends["math-model"].debug_requests()
                  if r["headers"].get("traceparent", "").startswith(f"00-{trace_id}"))
  assert received["headers"]["traceparent"] == f"00-{trace_id}-{upstream.span_id}-01"
  assert received["headers"]["tracestate"] == "vendor=abc"
  assert received["headers"]["baggage"] == "user=alice"
  assert received["model"] == "math-model"

  # Attributes.
  assert root.attributes["http.request.method"] == "POST"
  assert root.attributes["url.path"] == "/v1/chat/completions"
  assert root.attributes["http.response.status_code"] == 200
  assert root.attributes["gen_ai.operation.name"] == "chat"
  assert root.attributes["gen_ai.provider.name"] == "vllm"
  assert root.attributes["gen_ai.request.model"] == "auto"
  assert root.attributes["gen_ai.response.model"] == "math-model"
  assert root.attributes["gen_ai.usage.input_tokens"] == usage["prompt_tokens"]
  assert root.attributes["gen_ai.usage.output_tokens"] == usage["completion_tokens"]
  assert root.attributes["category.name"] == "math"
  assert root.attributes["routing.selected_model"] == "math-model"
  assert root.attributes["cache.hit"] is False
  classification = ours["semantic_router.classification"].attributes
  assert classification["category.name"] == "math"
  assert classification["classifier.type"] in ("keyword", "statistical")
  assert 0 < classification["classification.confidence"] <= 1
  assert ours["semantic_router.cache.lookup"].attributes == {"cache.hit": False}
  routing = ours["semantic_router.routing.decision"].attributes
  assert routing["routing.original_model"] == "auto"
  assert routing["routing.selected_model"] == "math-model"
  assert routing["routing.reason"]
  assert routing["endpoint.name"] == "math1"
  assert routing["endpoint.address"] == backends["math-model"].url
  assert upstream.attributes["gen_ai.request.model"] == "math-model"
  assert upstream.attributes["gen_ai.response.model"] == "math-model"
  assert upstream.attributes["http.response.status_code"] == 200
  assert upstream.attributes["endpoint.address"] == backends["math-model"].url
  assert upstream.attributes["gen_ai.usage.output_tokens"] == usage["completion_tokens"]

  # Resource and scope.
  assert root.resource["service.name"] == SERVICE
  assert root.resource["process.pid"] == router.pid
  assert root.resource["telemetry.sdk.language"] == "swift"
  assert root.scope_name == "semantic-router"
  assert "tracing enabled" in router.log() and "exporter=otlp" in router.log()


def test_streamed_response_records_first_token_and_usage(traced_stack, receiver):
  _, envoy = traced_stack()
  trace_id = new_trace_id()
  reply = ts.post(envoy.port, ts.math_question(stream=True),
                  {"traceparent": ts.traceparent(trace_id)})
  assert reply.status == 200
  assert reply.body.rstrip().endswith(b"data: [DONE]")
  spans = receiver.wait_for_trace(trace_id, ts.ROUTER_SPANS)
  ours = ts.by_name([s for s in spans if s.service_name == SERVICE])
  upstream = ours[ts.UPSTREAM]
  [event] = [e for e in upstream.events if e.name == "gen_ai.first_token"]
  assert upstream.start_time_unix_nano < event.time_unix_nano < upstream.end_time_unix_nano
  assert event.attributes["gen_ai.server.time_to_first_token"] > 0
  assert upstream.attributes["gen_ai.usage.output_tokens"] > 0


# MARK: - Sampling and propagation


def test_unsampled_parent_gives_no_spans_but_propagates_flag_00(traced_stack, receiver, backends):
  _, envoy = traced_stack()
  trace_id = new_trace_id()
  reply = ts.post(envoy.port, ts.math_question(),
                  {"traceparent": ts.traceparent(trace_id, flags="00")})
  assert reply.status == 200, reply.body
  [propagated] = backend_traceparents(backends, trace_id)
  _, parent_id, flags = ts.parse_traceparent(propagated)
  assert flags == "00"
  assert parent_id != ts.CLIENT_SPAN_ID  # a span of the router's own, not recorded

  sentinel(receiver, envoy)
  assert receiver.trace(trace_id) == []


def test_invalid_traceparent_starts_a_new_trace(traced_stack, receiver, backends):
  _, envoy = traced_stack()
  bad_trace = "0" * 32
  reply = ts.post(envoy.port, ts.math_question(), {
    "traceparent": ts.traceparent(bad_trace), "tracestate": "vendor=ignored"})
  assert reply.status == 200, reply.body
  # The backend got a traceparent of a fresh trace; find it by its upstream span.
  stub = backends["math-model"]
  received = stub.debug_requests()[-1]["headers"]
  new_trace, upstream_id, flags = ts.parse_traceparent(received["traceparent"])
  assert new_trace != bad_trace and flags == "03"  # sampled, random trace id
  assert received.get("tracestate", "") == ""  # the client's is not passed on
  spans = receiver.wait_for_trace(new_trace, ts.ROUTER_SPANS)
  ours = ts.by_name([s for s in spans if s.service_name == SERVICE])
  assert ours[ts.ROOT].parent_span_id == ""
  assert ours[ts.UPSTREAM].span_id == upstream_id


def test_cache_hit_has_no_upstream_span_and_reaches_no_backend(traced_stack, receiver, backends):
  _, envoy = traced_stack()
  question = ts.math_question(tag="cachedquestion")
  assert ts.post(envoy.port, question).status == 200
  before = len(backends["math-model"].debug_requests())
  trace_id = new_trace_id()
  reply = ts.post(envoy.port, question, {"traceparent": ts.traceparent(trace_id)})
  assert reply.status == 200 and reply.headers.get("x-vsr-cache-hit") == "true"
  assert len(backends["math-model"].debug_requests()) == before
  sentinel(receiver, envoy)
  ours = ts.by_name([s for s in receiver.trace(trace_id) if s.service_name == SERVICE])
  assert set(ours) == set(ts.ROUTER_SPANS) - {ts.UPSTREAM}
  assert ours[ts.ROOT].attributes["cache.hit"] is True
  assert ours[ts.ROOT].status_code == "UNSET"
  assert ours["semantic_router.cache.lookup"].attributes == {"cache.hit": True}


def test_long_query_is_routed_by_its_ends_and_cached_only_with_the_same_middle(
    traced_stack, receiver, backends):
  _, envoy = traced_stack()
  math = ("Solve the equation 2x + 3 = 7 for x, then factor the polynomial x^2 - 5x + 6, find "
          "the derivative of x squared, the integral of sin x and the square root of 81. ")
  pasted = "tell me a joke, write a poem about the sea, plan a trip to Rome. " * 60

  def ask(middle: str, trace_id: str | None = None) -> ts.Reply:
    body = {"model": "auto", "messages": [
      {"role": "user", "content": math + pasted + middle + pasted + math}]}
    headers = {"traceparent": ts.traceparent(trace_id)} if trace_id else {}
    return ts.post(envoy.port, body, headers)

  # 8 KB of general chat in the middle: the classifier reads the first and last 256 bytes.
  trace_id = new_trace_id()
  first = ask("ref" + secrets.token_hex(6), trace_id)
  assert first.status == 200 and first.headers["x-vsr-selected-model"] == "math-model"
  spans = receiver.wait_for_trace(trace_id, ts.ROUTER_SPANS)
  ours = ts.by_name([s for s in spans if s.service_name == SERVICE])
  assert ours["semantic_router.classification"].attributes["category.name"] == "math"
  reached = len(backends["math-model"].debug_requests())

  # The same text again is a cache hit; the same ends around another middle are not.
  middle = "ref" + secrets.token_hex(6)
  assert ask(middle).headers.get("x-vsr-cache-hit") is None
  again = ask(middle)
  assert again.status == 200 and again.headers.get("x-vsr-cache-hit") == "true"
  other = ask("ref" + secrets.token_hex(6))
  assert other.status == 200 and other.headers.get("x-vsr-cache-hit") is None
  assert len(backends["math-model"].debug_requests()) == reached + 2


# MARK: - Errors


def test_unknown_model_is_an_error_span_without_upstream(traced_stack, receiver):
  _, envoy = traced_stack()
  trace_id = new_trace_id()
  body = {"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]}
  reply = ts.post(envoy.port, body, {"traceparent": ts.traceparent(trace_id)})
  assert reply.status == 404
  sentinel(receiver, envoy)
  ours = ts.by_name([s for s in receiver.trace(trace_id) if s.service_name == SERVICE])
  assert ts.UPSTREAM not in ours
  root = ours[ts.ROOT]
  assert root.status_code == "ERROR" and root.status_message == "model_not_found"
  assert root.attributes["http.response.status_code"] == 404
  assert ours["semantic_router.routing.decision"].status_code == "ERROR"


def test_backend_5xx_marks_root_and_upstream_as_errors(traced_stack, receiver):
  _, envoy = traced_stack()
  trace_id = new_trace_id()
  reply = ts.post(envoy.port, ts.math_question(),
                  {"traceparent": ts.traceparent(trace_id), "x-stub-status": "503"})
  assert reply.status == 503
  spans = receiver.wait_for_trace(trace_id, ts.ROUTER_SPANS)
  ours = ts.by_name([s for s in spans if s.service_name == SERVICE])
  for name in (ts.ROOT, ts.UPSTREAM):
    assert ours[name].status_code == "ERROR", name
    assert ours[name].attributes["http.response.status_code"] == 503


# MARK: - Export under failure and shutdown


def wait_for_metric(router, name: str, timeout: float = 10.0) -> float:
  """Polls the router's /metrics until `name` is above zero."""
  deadline = time.monotonic() + timeout
  while (value := router.metric(name)) == 0:
    assert time.monotonic() < deadline, f"{name} stayed 0\n" + router.log_tail()
    time.sleep(0.05)
  return value


def test_refused_collector_fails_batches_requests_succeed_and_export_resumes(
    traced_stack, receiver):
  port = stack.free_port()
  router, envoy = traced_stack(tracing={
    "enabled": True,
    "exporter": {"type": "otlp", "endpoint": f"127.0.0.1:{port}", "timeout": "500ms"},
    "batch": {"schedule_delay": "100ms", "max_export_batch_size": 5, "export_timeout": "1s"},
  })
  for _ in range(20):
    assert ts.post(envoy.port, ts.math_question()).status == 200
  assert wait_for_metric(router, "semantic_router_spans_failed_total") > 0
  assert router.metric("semantic_router_spans_exported_total") == 0
  # One warning for the outage, not one per retry.
  warnings = [line for line in router.log().splitlines()
              if "warning" in line and "cannot connect" in line]
  assert len(warnings) == 1, router.log_tail()

  with OTLPReceiver(port=port) as late:
    # Batches queued during the outage may go first: send traced requests until one arrives.
    deadline = time.monotonic() + 30
    while True:
      trace_id = new_trace_id()
      assert ts.post(envoy.port, ts.math_question(),
                     {"traceparent": ts.traceparent(trace_id)}).status == 200
      try:
        late.wait_for_trace(trace_id, ts.ROUTER_SPANS, timeout=2)
        break
      except TimeoutError:
        assert time.monotonic() < deadline, "export did not resume\n" + router.log_tail()
    assert "gRPC client connected again" in router.log()
    router.signal(signal.SIGTERM)
    assert router.wait(timeout=30) == 0, router.log_tail()


def test_silent_collector_fills_the_queue_and_drops_are_counted(traced_stack, receiver):
  # A collector that accepts TCP connections and never answers: every export waits for its
  # whole timeout while requests keep ending spans, so the bounded queue overflows.
  with socket.create_server(("127.0.0.1", 0), backlog=64) as silent:
    port = silent.getsockname()[1]
    router, envoy = traced_stack(tracing={
      "enabled": True,
      "exporter": {"type": "otlp", "endpoint": f"127.0.0.1:{port}", "timeout": "300ms"},
      "batch": {"schedule_delay": "100ms", "max_queue_size": 20, "max_export_batch_size": 5,
                "export_timeout": "300ms"},
    })
    for _ in range(40):
      assert ts.post(envoy.port, ts.math_question()).status == 200
    dropped = router.metric("semantic_router_spans_dropped_total")
    # 200 spans ended; only the queue and a few 300 ms exports' worth can have left it.
    assert dropped > 0, router.log_tail()
    assert wait_for_metric(router, "semantic_router_spans_failed_total") > 0
    assert router.metric("semantic_router_spans_exported_total") == 0
    router.signal(signal.SIGTERM)
    assert router.wait(timeout=30) == 0, router.log_tail()
  # The shutdown line reports the final count.
  assert int(re.search(r"spans_dropped=(\d+)", router.log()).group(1)) >= dropped


def export_failures(router, reason: str) -> float:
  """The `semantic_router_span_export_failures_total` sample for `reason` on /metrics."""
  text = router.metrics_text()
  prefix = f'semantic_router_span_export_failures_total{{reason="{reason}"}} '
  for line in text.splitlines():
    if line.startswith(prefix):
      return float(line[len(prefix):])
  raise AssertionError(f"no export failures for reason {reason!r} in /metrics:\n{text}")


def test_unresolvable_collector_name_starts_serves_counts_failures_and_stops(traced_stack):
  # RFC 6761: .invalid never resolves, like a collector Service that does not exist yet. Before
  # the fix `serve` exited with code 2 at start-up; now every export looks the name up again.
  router, envoy = traced_stack(
    tracing={
      "enabled": True,
      "exporter": {"type": "otlp", "endpoint": "127.0.0.1:1"},
      "batch": {"schedule_delay": "100ms", "export_timeout": "1s"},
    },
    env={"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
         "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector.invalid:4317",
         "OTEL_EXPORTER_OTLP_TIMEOUT": "500"})
  for _ in range(10):
    assert ts.post(envoy.port, ts.math_question()).status == 200
  assert stack.health_status(router.address) == "SERVING"
  assert wait_for_metric(router, "semantic_router_spans_failed_total") > 0
  assert export_failures(router, "resolve") > 0
  assert router.metric("semantic_router_spans_exported_total") == 0
  assert "collector.invalid" in router.log()
  router.signal(signal.SIGTERM)
  assert router.wait(timeout=30) == 0, router.log_tail()


def test_sigterm_flushes_queued_spans(traced_stack, receiver):
  router, envoy = traced_stack(tracing={
    "enabled": True,
    "exporter": {"type": "otlp", "endpoint": receiver.endpoint},
    "batch": {"schedule_delay": "60s"},
  })
  trace_id = new_trace_id()
  assert ts.post(envoy.port, ts.math_question(),
                 {"traceparent": ts.traceparent(trace_id)}).status == 200
  with pytest.raises(TimeoutError):
    receiver.wait_for_spans(1, lambda s: s.trace_id == trace_id and s.service_name == SERVICE,
                            timeout=0.5)
  router.signal(signal.SIGTERM)
  assert router.wait(timeout=30) == 0, router.log_tail()
  spans = [s for s in receiver.trace(trace_id) if s.service_name == SERVICE]
  assert sorted(s.name for s in spans) == sorted(ts.ROUTER_SPANS)
  assert "tracing flushed" in router.log()


# MARK: - OTLP/HTTP


def test_otlp_http_exporter_sends_the_same_tree(traced_stack):
  with ts.OTLPHTTPReceiver() as http_receiver:
    _, envoy = traced_stack(tracing={
      "enabled": True,
      "service_name": "router-over-http",
      "exporter": {"type": "otlp_http", "endpoint": http_receiver.url},
      "batch": {"schedule_delay": "100ms"},
    })
    trace_id = new_trace_id()
    assert ts.post(envoy.port, ts.math_question(),
                   {"traceparent": ts.traceparent(trace_id)}).status == 200
    spans = http_receiver.wait_for_spans(5, lambda s: s.trace_id == trace_id)
    ours = ts.by_name(spans)
    assert set(ours) == set(ts.ROUTER_SPANS)
    root = ours[ts.ROOT]
    assert root.parent_span_id == ts.CLIENT_SPAN_ID
    assert all(ours[n].parent_span_id == root.span_id for n in ts.ROUTER_SPANS[1:])
    assert root.resource["service.name"] == "router-over-http"
    export = http_receiver.exports[0]
    assert export.path == "/v1/traces"
    assert export.headers["content-type"] == "application/x-protobuf"


class RecordingProxy:
  """A forward HTTP proxy that records each request line and hands every POST to the
  OTLP/HTTP receiver on `upstream_port`, whatever host the absolute-form target names."""

  def __init__(self, upstream_port: int) -> None:
    proxy = self

    class Handler(http.server.BaseHTTPRequestHandler):
      protocol_version = "HTTP/1.1"

      def do_POST(self) -> None:  # noqa: N802 (name fixed by BaseHTTPRequestHandler)
        proxy.request_lines.append(self.requestline)
        body = self.rfile.read(int(self.headers.get("content-length", "0") or 0))
        upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=10)
        upstream.request("POST", urllib.parse.urlsplit(self.path).path, body,
                         {"content-type": self.headers.get("content-type", "")})
        answer = upstream.getresponse()
        payload = answer.read()
        upstream.close()
        self.send_response(answer.status)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

      def log_message(self, format: str, *args: object) -> None:
        pass

    self.request_lines: list[str] = []
    self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    self._server.daemon_threads = True
    self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
    self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

  def __enter__(self) -> "RecordingProxy":
    self._thread.start()
    return self

  def __exit__(self, *_: object) -> None:
    self._server.shutdown()
    self._server.server_close()


def test_otlp_http_exporter_goes_through_the_proxy_the_environment_names(traced_stack):
  # The collector's name does not resolve (RFC 6761 .invalid): only through the proxy named by
  # http_proxy can the spans arrive.
  with ts.OTLPHTTPReceiver() as http_receiver, RecordingProxy(http_receiver.port) as proxy:
    _, envoy = traced_stack(
      tracing={"enabled": True,
               "exporter": {"type": "otlp_http", "endpoint": "http://collector.invalid:4318"},
               "batch": {"schedule_delay": "100ms"}},
      env={"http_proxy": proxy.url})
    trace_id = new_trace_id()
    assert ts.post(envoy.port, ts.math_question(),
                   {"traceparent": ts.traceparent(trace_id)}).status == 200
    spans = http_receiver.wait_for_spans(5, lambda s: s.trace_id == trace_id)
    assert set(ts.by_name(spans)) == set(ts.ROUTER_SPANS)
    assert "POST http://collector.invalid:4318/v1/traces HTTP/1.1" in proxy.request_lines


# MARK: - OTEL_* environment


def test_otel_environment_overrides_the_config_file(traced_stack, receiver):
  router, envoy = traced_stack(
    tracing={"enabled": True, "service_name": "from-file",
             "exporter": {"type": "otlp_http", "endpoint": f"http://127.0.0.1:{stack.free_port()}"},
             "sampling": {"type": "always_off"}},
    env={"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
         "OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=blue", "OTEL_SERVICE_NAME": "from-env",
         "OTEL_TRACES_SAMPLER": "parentbased_always_on", "OTEL_BSP_SCHEDULE_DELAY": "100"})
  trace_id = new_trace_id()
  assert ts.post(envoy.port, ts.math_question(),
                 {"traceparent": ts.traceparent(trace_id)}).status == 200
  spans = receiver.wait_for_trace(trace_id, ts.ROUTER_SPANS)
  assert {s.service_name for s in spans if s.name in ts.ROUTER_SPANS} == {"from-env"}
  assert any(call.metadata.get("x-tenant") == "blue" for call in receiver.export_calls)
  startup = next(line for line in router.log().splitlines() if "tracing enabled" in line)
  assert f"endpoint={receiver.url}" in startup and "exporter=otlp " in startup
  assert "sampler=ParentBased{root:AlwaysOnSampler}" in startup
