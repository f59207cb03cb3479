"""End to end: the OpenAI Python client (OpenTelemetry-instrumented) → real Envoy 1.40 → the
semantic router → two stub vLLMs, every service exporting spans to one independent OTLP/gRPC
receiver (otlp_receiver.py, grpcio + opentelemetry-proto).

Per request the tests check one trace id across client, router and backend; the exact parent
links (client span → router root → its four children; the backend's `vllm.generate` under the
router's upstream span, or under Envoy's span when Envoy traces too); the category and model
attributes against where the request really landed (the stub's /debug/requests and its
`x-backend-name`); token counts against the backend's usage. Then the same with Envoy's tracer
on, with `always_off` sampling, with 10% probabilistic sampling over 500 requests, and the
router's /metrics against what was sent.
"""

from __future__ import annotations

import http.client
import itertools
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from openai import OpenAI  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402

import e2e_stack  # noqa: E402
import openai_tracing  # noqa: E402
from e2e_stack import (  # noqa: E402
  BACKEND_SPAN, CHILD_SPANS, ROOT_SPAN, ROUTER_SPANS, UPSTREAM_SPAN,
)
from otlp_receiver import OTLPReceiver, ReceivedSpan  # noqa: E402

TOKENS = 12
CLIENT_SERVICE = openai_tracing.CLIENT_SERVICE
ROUTER_SERVICE = "vllm-semantic-router"
CLIENT_SPAN = "openai.chat"
#: Envoy's spans when its tracer is on: the request, and its ext_proc call to the router.
ENVOY_SPANS = ("ingress", "async envoy.service.ext_proc.v3.ExternalProcessor.Process egress")
EXAMPLE = e2e_stack.REPO_ROOT / "deploy" / "tracing" / "openai_client_tracing.py"

#: (prompt, category the router must pick) for "auto" requests, both models covered.
PROMPTS = [
  ("Solve the equation 3x + 7 = 22 and check the solution.", "math"),
  ("Explain how photosynthesis turns sunlight into chemical energy.", "science"),
  ("My C program crashes with a segmentation fault when I free a pointer twice.", "coding"),
  ("Who was the first emperor of the Roman Empire and how did he rise to power?", "history"),
  ("What should I do if the other party is in breach of our contract?", "law"),
  ("How can a small company improve its quarterly cash flow?", "business"),
]


# MARK: - Fixtures


@pytest.fixture(scope="module")
def backends(receiver):
  with ExitStack() as running:
    yield e2e_stack.start_backends(running, otlp_url=receiver.url, tokens=TOKENS)


@pytest.fixture(scope="module")
def models() -> dict[str, list[str]]:
  """Model name → the categories it lists, from deploy/router-config.yaml."""
  return {m["name"]: list(m["category"]) for m in e2e_stack.default_models()}


@pytest.fixture(scope="module")
def client_tracing(receiver):
  """The tracer provider of the instrumented OpenAI client, exporting to the receiver."""
  return openai_tracing.client_provider(receiver.url)


def routed_stack(tmp_path_factory, backends, receiver, name: str, *, envoy_tracing: bool = False,
                 cache: bool = True, **sampling: Any) -> e2e_stack.RoutedStack:
  """The router (config from deploy/router-config.yaml pointed at `backends`) and Envoy."""
  config = e2e_stack.write_router_config(
    tmp_path_factory.mktemp(name) / "router-config.yaml", e2e_stack.endpoints_of(backends),
    tracing=e2e_stack.tracing_section(receiver.endpoint, **sampling), cache=cache)
  return e2e_stack.RoutedStack(
    config, envoy_collector=receiver.endpoint if envoy_tracing else None)


# MARK: - Sending requests


@dataclass
class Sent:
  """One request as the client saw it."""

  trace_id: str
  model: str
  prompt: str
  stream: bool
  headers: dict[str, str]
  answered_by: str
  prompt_tokens: int
  completion_tokens: int


def ask(provider: TracerProvider, base_url: str, model: str, prompt: str,
        stream: bool = False) -> Sent:
  """One chat completion with the instrumented OpenAI client, under a parent span of ours."""
  client = OpenAI(base_url=base_url + "/v1", api_key="e2e-key", max_retries=0, timeout=30)
  tracer = provider.get_tracer("e2e")
  with tracer.start_as_current_span("e2e.request") as span:
    trace_id = f"{span.get_span_context().trace_id:032x}"
    messages = [{"role": "user", "content": prompt}]
    if stream:
      raw = client.chat.completions.with_raw_response.create(
        model=model, messages=messages, stream=True, stream_options={"include_usage": True})
      answered_by, usage = "", None
      for chunk in raw.parse():
        answered_by = chunk.model or answered_by
        usage = chunk.usage or usage
    else:
      raw = client.chat.completions.with_raw_response.create(model=model, messages=messages)
      completion = raw.parse()
      answered_by, usage = completion.model, completion.usage
  assert usage is not None, "the backend's usage did not reach the client"
  return Sent(trace_id, model, prompt, stream, {k.lower(): v for k, v in raw.headers.items()},
              answered_by, usage.prompt_tokens, usage.completion_tokens)


def send_standard_requests(provider: TracerProvider, base_url: str, explicit_model: str,
                           tag: str) -> list[tuple[Sent, str | None]]:
  """Every PROMPTS entry with "auto", one streamed, one naming `explicit_model`; each prompt
  carries `tag` so no answer comes from the semantic cache. Returns (sent, expected category)."""
  sent = [(ask(provider, base_url, "auto", f"{prompt} ({tag})"), category)
          for prompt, category in PROMPTS]
  sent.append((ask(provider, base_url, "auto",
                   f"Describe the water cycle and evaporation in a few sentences ({tag}).",
                   stream=True), None))
  sent.append((ask(provider, base_url, explicit_model,
                   f"Give me three tips for writing clear documentation ({tag})."), None))
  return sent


# MARK: - Reading what landed


@dataclass
class Landing:
  """Where a request reached a backend: the stub, its endpoint name and what it received."""

  backend: e2e_stack.Backend
  record: dict[str, Any]

  @property
  def traceparent(self) -> tuple[str, str, str]:
    """(trace id, parent span id, flags) of the traceparent the backend received."""
    _, trace_id, parent, flags = self.record["headers"]["traceparent"].split("-")
    return trace_id, parent, flags


def landings(backends: list[e2e_stack.Backend]) -> dict[str, list[Landing]]:
  """Every request the stubs recorded, by the trace id of the traceparent they received."""
  found: dict[str, list[Landing]] = {}
  for backend in backends:
    for record in backend.stub.debug_requests():
      traceparent = record["headers"].get("traceparent")
      if traceparent:
        found.setdefault(traceparent.split("-")[1], []).append(Landing(backend, record))
  return found


def clear_landings(backends: list[e2e_stack.Backend]) -> None:
  for backend in backends:
    backend.stub.clear_debug_requests()


def only(spans: list[ReceivedSpan], name: str) -> ReceivedSpan:
  matching = [s for s in spans if s.name == name]
  assert len(matching) == 1, f"{name}: {len(matching)} spans in {[s.name for s in spans]}"
  return matching[0]


def assert_connected_tree(spans: list[ReceivedSpan]) -> ReceivedSpan:
  """One trace id, unique span ids, exactly one root, every other parent present; the root."""
  assert len({s.trace_id for s in spans}) == 1
  ids = {s.span_id for s in spans}
  assert len(ids) == len(spans), "duplicate span ids"
  roots = [s for s in spans if s.is_root]
  assert len(roots) == 1, f"roots: {[(s.service_name, s.name) for s in roots]}"
  orphans = [(s.service_name, s.name) for s in spans
             if not s.is_root and s.parent_span_id not in ids]
  assert not orphans, f"spans whose parent is not in the trace: {orphans}"
  return roots[0]


# MARK: - The one per-request check


def check_routed_request(
  receiver: OTLPReceiver, found: dict[str, list[Landing]], sent: Sent, category: str | None,
  models: dict[str, list[str]], *, envoy_tracing: bool,
) -> dict[str, ReceivedSpan]:
  """Asserts the whole trace of one routed request; returns its spans by name."""
  wanted = ["e2e.request", CLIENT_SPAN, *ROUTER_SPANS, BACKEND_SPAN]
  if envoy_tracing:
    wanted += ENVOY_SPANS
  spans = receiver.wait_for_trace(sent.trace_id, wanted)
  top = assert_connected_tree(spans)
  assert top.name == "e2e.request"
  client = only(spans, CLIENT_SPAN)
  root, upstream = only(spans, ROOT_SPAN), only(spans, UPSTREAM_SPAN)
  backend = only(spans, BACKEND_SPAN)
  by_id = {s.span_id: s for s in spans}

  # Parent links: client → (Envoy ingress → ext_proc egress →) router root → four children.
  assert client.parent_span_id == top.span_id and client.kind == "CLIENT"
  assert root.service_name == ROUTER_SERVICE and root.kind == "SERVER"
  if envoy_tracing:
    egress = by_id[root.parent_span_id]
    assert egress.service_name == "envoy" and egress.name == ENVOY_SPANS[1]
    ingress = by_id[egress.parent_span_id]
    assert ingress.service_name == "envoy" and ingress.name == "ingress"
    assert ingress.parent_span_id == client.span_id
  else:
    assert root.parent_span_id == client.span_id
  for name in CHILD_SPANS:
    child = only(spans, name)
    assert child.parent_span_id == root.span_id, name
    assert child.service_name == ROUTER_SERVICE and child.status_code != "ERROR", name
    assert root.start_time_unix_nano <= child.start_time_unix_nano, name
    assert child.end_time_unix_nano <= root.end_time_unix_nano, name
  assert upstream.kind == "CLIENT"
  router_span_count = sum(1 for s in spans if s.service_name == ROUTER_SERVICE)
  assert router_span_count == len(ROUTER_SPANS), [
    s.name for s in spans if s.service_name == ROUTER_SERVICE]

  # The request reached exactly one backend, carrying this trace; the backend's span hangs under
  # the span named by the traceparent it received: our upstream span, or Envoy's when Envoy
  # traces (its router filter overwrites traceparent).
  landed = found.get(sent.trace_id, [])
  assert len(landed) == 1, f"trace {sent.trace_id} landed {len(landed)} times"
  landing = landed[0]
  _, parent_id, flags = landing.traceparent
  assert int(flags, 16) & 1 == 1
  assert backend.parent_span_id == parent_id
  if envoy_tracing:
    assert by_id[parent_id].service_name == "envoy"
  else:
    assert parent_id == upstream.span_id
  assert backend.service_name == "vllm"

  # Category and model: the attributes, the response headers and the landing agree.
  classification = only(spans, "semantic_router.classification")
  decision = only(spans, "semantic_router.routing.decision")
  chosen = classification.attributes["category.name"]
  if category is not None:
    assert chosen == category, sent.prompt
  assert root.attributes["category.name"] == chosen
  assert sent.headers["x-vsr-selected-category"] == chosen
  selected = decision.attributes["routing.selected_model"]
  assert root.attributes["routing.selected_model"] == selected
  assert decision.attributes["routing.original_model"] == sent.model
  assert root.attributes["gen_ai.request.model"] == sent.model
  assert sent.headers["x-vsr-selected-model"] == selected
  assert landing.backend.model == selected and landing.record["model"] == selected
  assert sent.answered_by == selected and backend.attributes["gen_ai.request.model"] == selected
  assert decision.attributes["endpoint.name"] == landing.backend.endpoint
  assert upstream.attributes["endpoint.name"] == landing.backend.endpoint
  assert upstream.attributes["endpoint.address"].endswith(f":{landing.backend.stub.port}")
  assert sent.headers["x-backend-name"] == landing.backend.endpoint
  if sent.model == "auto":
    assert chosen in models[selected], f"{chosen} routed to {selected}"
  else:
    assert selected == sent.model
  assert landing.record["stream"] == sent.stream
  assert only(spans, "semantic_router.cache.lookup").attributes["cache.hit"] is False

  # Token counts: the backend's usage (what the client got) on the router's and backend's spans.
  expected_input = len(sent.prompt.split())
  assert (sent.prompt_tokens, sent.completion_tokens) == (expected_input, TOKENS)
  for span in (upstream, root, backend):
    assert span.attributes["gen_ai.usage.input_tokens"] == sent.prompt_tokens, span.name
    assert span.attributes["gen_ai.usage.output_tokens"] == sent.completion_tokens, span.name
  assert upstream.attributes["gen_ai.response.model"] == selected
  assert root.attributes["http.response.status_code"] == 200
  if sent.stream:
    assert any(e.name == "gen_ai.first_token" for e in backend.events)
  return {s.name: s for s in spans}


# MARK: - Tests


def test_each_request_is_one_trace_from_client_through_router_to_backend(
  tmp_path_factory, receiver, backends, models, client_tracing,
) -> None:
  with routed_stack(tmp_path_factory, backends, receiver, "always-on") as routed:
    clear_landings(backends)
    sent = send_standard_requests(client_tracing, routed.url, backends[-1].model, "always on")
    found = landings(backends)
    for request, category in sent:
      check_routed_request(receiver, found, request, category, models, envoy_tracing=False)
    landed_models = {found[r.trace_id][0].backend.model for r, _ in sent}
    assert landed_models == set(models), "both backends must have served requests"


def test_envoy_spans_join_the_same_tree(
  tmp_path_factory, receiver, backends, models, client_tracing,
) -> None:
  with routed_stack(tmp_path_factory, backends, receiver, "envoy-tracing",
                    envoy_tracing=True) as routed:
    clear_landings(backends)
    sent = send_standard_requests(client_tracing, routed.url, backends[-1].model, "envoy")
    found = landings(backends)
    for request, category in sent:
      check_routed_request(receiver, found, request, category, models, envoy_tracing=True)

    # The shipped client example through the same stack: six connected trees, each holding
    # the client (`openai.response` for the Responses API example), Envoy, the router's spans
    # and the backend.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(SEMANTIC_ROUTER_URL=routed.url, OTLP_ENDPOINT=receiver.url,
               EXPLICIT_MODEL=backends[-1].model)
    result = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    trace_ids = re.findall(r"trace id\s*:\s*([0-9a-f]{32})", result.stdout)
    assert len(trace_ids) == 6, result.stdout
    for index, trace_id in enumerate(trace_ids):
      client_span = "openai.response" if index == 5 else CLIENT_SPAN
      spans = receiver.wait_for_trace(
        trace_id, [client_span, *ENVOY_SPANS, *ROUTER_SPANS, BACKEND_SPAN])
      top = assert_connected_tree(spans)
      assert top.service_name == "openai-client-example" and top.name.startswith("example_")
      assert sum(1 for s in spans if s.service_name == ROUTER_SERVICE) == len(ROUTER_SPANS)


def test_always_off_records_no_router_spans_and_routes_the_same(
  tmp_path_factory, receiver, backends, models, client_tracing,
) -> None:
  # parent_based false: the router's own rule applies even under the client's sampled span.
  with routed_stack(tmp_path_factory, backends, receiver, "always-off",
                    sampling="always_off", parent_based=False) as routed:
    clear_landings(backends)
    sent = send_standard_requests(client_tracing, routed.url, backends[-1].model, "off")
    # And plain requests without any traceparent (the router would be the root).
    plain = []
    for prompt, category in PROMPTS:
      status, headers, _ = e2e_stack.post_chat(
        routed.envoy.port, {"model": "auto", "messages": [{"role": "user", "content": prompt}]})
      assert status == 200
      plain.append((headers, category))
    found = landings(backends)
    # Positive controls for "no spans came": the router counted each request's spans as
    # started, none as sampled; and each stub exported everything it had before a later
    # sampled request's span, which arrived.
    counted = wait_for_metrics(routed, lambda samples: metric(
      samples, "semantic_router_spans_started_total") >= len(sent) + len(plain))
    assert metric(counted, "semantic_router_spans_started_total") >= len(sent) + len(plain)
    assert metric(counted, "semantic_router_spans_sampled_total") == 0
    flush_backends(receiver, backends)

    for request, category in sent:
      spans = receiver.trace(request.trace_id)
      assert sorted(s.name for s in spans) == ["e2e.request", CLIENT_SPAN], request.prompt
      # Routing unchanged: the category's model served it, and said so.
      landed = found[request.trace_id]
      assert len(landed) == 1
      selected = request.headers["x-vsr-selected-model"]
      if category is not None:
        assert request.headers["x-vsr-selected-category"] == category
      if request.model == "auto":
        assert request.headers["x-vsr-selected-category"] in models[selected]
      else:
        assert selected == request.model
      assert landed[0].backend.model == selected == landed[0].record["model"]
      assert request.headers["x-backend-name"] == landed[0].backend.endpoint
      # Context still propagates: the client's trace id, not sampled.
      assert int(landed[0].traceparent[2], 16) & 1 == 0
    for headers, category in plain:
      assert headers["x-vsr-selected-category"] == category
      assert category in models[headers["x-vsr-selected-model"]]
    assert not receiver.spans(lambda s: s.service_name == ROUTER_SERVICE
                              and s.resource.get("process.pid") == routed.router.pid)


_request_numbers = itertools.count()


def _send_plain(port: int, requests: list[dict[str, str]], threads: int = 4) -> list[int]:
  """POSTs one chat request per entry (its headers), over `threads` keep-alive connections;
  the statuses in completion order."""
  statuses: list[int] = []
  lock = threading.Lock()
  queue = list(enumerate(requests))

  def worker() -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
      while True:
        with lock:
          if not queue:
            return
          index, headers = queue.pop()
        prompt, _ = PROMPTS[index % len(PROMPTS)]
        # A system prompt of its own keys each request's cache entry apart: no cache hits.
        messages = [{"role": "system", "content": f"You answer request {next(_request_numbers)}."},
                    {"role": "user", "content": prompt}]
        status, _, _ = e2e_stack.post_chat(
          port, {"model": "auto", "messages": messages, "max_tokens": 4}, headers=headers,
          conn=conn)
        with lock:
          statuses.append(status)
    finally:
      conn.close()

  workers = [threading.Thread(target=worker) for _ in range(threads)]
  for thread in workers:
    thread.start()
  for thread in workers:
    thread.join()
  return statuses


def test_probabilistic_sampling_keeps_about_a_tenth_of_traces_each_complete(
  tmp_path_factory, receiver, backends,
) -> None:
  rate, total, batch = 0.1, 500, 125
  with routed_stack(tmp_path_factory, backends, receiver, "probabilistic",
                    sampling="probabilistic", rate=rate) as routed:
    clear_landings(backends)
    seen: dict[str, Landing] = {}
    # The stubs keep their last 256 requests: collect after each batch.
    for _ in range(total // batch):
      assert _send_plain(routed.envoy.port, [{}] * batch) == [200] * batch
      for trace_id, landed in landings(backends).items():
        assert len(landed) == 1 and trace_id not in seen
        seen[trace_id] = landed[0]
      clear_landings(backends)
    assert len(seen) == total, "each request must start its own trace"

    # Parent-based: a sampled parent is followed, an unsampled one too, whatever the ratio says.
    parents = {f"{random.getrandbits(128):032x}": flag for flag in ("01", "00") for _ in range(20)}
    parent_span = f"{random.getrandbits(64):016x}"
    headers = [{"traceparent": f"00-{t}-{parent_span}-{f}"} for t, f in parents.items()]
    assert _send_plain(routed.envoy.port, headers) == [200] * len(headers)
    followed = landings(backends)

    sampled = {t for t, landing in seen.items() if int(landing.traceparent[2], 16) & 1}
    expected_spans = 6 * (len(sampled) + 20)
    router_pid = routed.router.pid
    mine = {*seen, *parents}
    receiver.wait_for_spans(expected_spans, lambda s: s.trace_id in mine, timeout=20)
    # Nothing more may come, so unsampled traces stay empty: the router has exported every span
    # it sampled, and each stub everything before a later sampled request's span.
    exported = wait_for_metrics(routed, lambda samples: metric(
      samples, "semantic_router_spans_exported_total") >= metric(
        samples, "semantic_router_spans_sampled_total"))
    assert metric(exported, "semantic_router_spans_exported_total") == metric(
      exported, "semantic_router_spans_sampled_total")
    flush_backends(receiver, backends)

    # The decision is the trace-id ratio rule, and about a tenth of roots are sampled.
    for trace_id, landing in seen.items():
      low = int(trace_id[16:], 16)
      assert (trace_id in sampled) == ((low >> 1) < rate * 2**63), trace_id
    assert 23 <= len(sampled) <= 77, f"{len(sampled)} of {total} sampled at rate {rate}"

    def check_complete(trace_id: str, parent: str | None) -> None:
      spans = receiver.trace(trace_id)
      names = sorted(s.name for s in spans)
      assert names == sorted([*ROUTER_SPANS, BACKEND_SPAN]), f"{trace_id}: {names}"
      root = only(spans, ROOT_SPAN)
      assert root.resource.get("process.pid") == router_pid
      assert root.parent_span_id == (parent or "")
      assert all(only(spans, n).parent_span_id == root.span_id for n in CHILD_SPANS)
      assert only(spans, BACKEND_SPAN).parent_span_id == only(spans, UPSTREAM_SPAN).span_id

    for trace_id in seen:
      if trace_id in sampled:
        check_complete(trace_id, None)
      else:
        assert receiver.trace(trace_id) == [], f"unsampled trace {trace_id} has spans"
    for trace_id, flag in parents.items():
      (landing,) = followed[trace_id]
      assert int(landing.traceparent[2], 16) & 1 == int(flag, 16)
      if flag == "01":
        check_complete(trace_id, parent_span)
      else:
        assert receiver.trace(trace_id) == []


# MARK: - /metrics


def parse_prometheus(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
  """Samples of a Prometheus text exposition: (name, labels) → value."""
  samples = {}
  pattern = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
  for line in text.splitlines():
    if not line or line.startswith("#"):
      continue
    match = pattern.match(line)
    assert match, f"not a Prometheus sample line: {line!r}"
    labels = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', match[2] or ""))
    samples[(match[1], labels)] = float(match[3])
  return samples


def metric(samples, name: str, **labels: str) -> float:
  return samples.get((name, frozenset(labels.items())), 0.0)


def wait_for_metrics(routed: e2e_stack.RoutedStack, ready: Callable[[dict], bool],
                     timeout: float = 30.0) -> dict:
  """The router's /metrics once `ready(samples)` holds (polled), or the last reading when it
  never does, for the test's asserts to report."""
  deadline = time.monotonic() + timeout
  while True:
    samples = parse_prometheus(routed.metrics())
    if ready(samples) or time.monotonic() >= deadline:
      return samples
    time.sleep(0.05)


def flush_backends(receiver: OTLPReceiver, backends: list[e2e_stack.Backend]) -> None:
  """Sends each stub a sampled request of its own and waits for its span: the stub's batch
  processor exports in order, so every span it ended before has arrived by then."""
  for backend in backends:
    trace_id = f"{random.getrandbits(128) | 1:032x}"
    traceparent = f"00-{trace_id}-{random.getrandbits(64) | 1:016x}-01"
    status, _, _ = e2e_stack.post_chat(
      backend.stub.port, {"model": backend.model, "messages": [{"role": "user", "content": "x"}]},
      headers={"traceparent": traceparent})
    assert status == 200
    receiver.wait_for_trace(trace_id, [BACKEND_SPAN])


def test_metrics_match_what_was_sent(tmp_path_factory, receiver, backends, models) -> None:
  with routed_stack(tmp_path_factory, backends, receiver, "metrics") as routed:
    # The user docs' first troubleshooting step: /health on Envoy's port is the router's.
    assert e2e_stack.http_get(routed.envoy.port, "/health")[0] == 200
    before = parse_prometheus(routed.metrics())
    expected: Counter[tuple[str, str]] = Counter()
    for prompt, category in PROMPTS:
      status, headers, _ = e2e_stack.post_chat(
        routed.envoy.port, {"model": "auto", "messages": [{"role": "user", "content": prompt}]})
      assert status == 200 and headers["x-vsr-selected-category"] == category
      expected[(category, headers["x-vsr-selected-model"])] += 1
    # The first prompt again: answered from the semantic cache.
    first, first_category = PROMPTS[0]
    status, headers, _ = e2e_stack.post_chat(
      routed.envoy.port, {"model": "auto", "messages": [{"role": "user", "content": first}]})
    assert status == 200 and headers.get("x-vsr-cache-hit") == "true"
    cache_hit_model = headers["x-vsr-selected-model"]

    router_pid = routed.router.pid

    def from_router(span: ReceivedSpan) -> bool:
      return span.resource.get("process.pid") == router_pid and span.service_name == ROUTER_SERVICE

    receiver.wait_for_spans(5 * len(PROMPTS) + 1, from_router, timeout=15)
    # The router counts a request when its stream ends and a span once the collector took it,
    # both just after what the test waited for: read the figures once they are all in.
    after = wait_for_metrics(routed, lambda samples: sum(
      v for (name, _), v in samples.items() if name == "semantic_router_requests_total"
    ) >= len(PROMPTS) + 1 and metric(samples, "semantic_router_spans_exported_total") >= len(
      receiver.spans(from_router)))

    def delta(name: str, **labels: str) -> float:
      return metric(after, name, **labels) - metric(before, name, **labels)

    for (category, model), count in expected.items():
      assert delta("semantic_router_requests_total", category=category, model=model,
                   outcome="ok", api="chat_completions") == count, (category, model)
    assert delta("semantic_router_requests_total", category=first_category,
                 model=cache_hit_model, outcome="cache_hit", api="chat_completions") == 1
    total = sum(v for (name, _), v in after.items() if name == "semantic_router_requests_total")
    assert total == len(PROMPTS) + 1
    assert delta("semantic_router_cache_hits_total") == 1
    assert delta("semantic_router_cache_misses_total") == len(PROMPTS)
    assert delta("semantic_router_classification_duration_seconds_count") == len(PROMPTS) + 1
    exported = len(receiver.spans(from_router))
    assert metric(after, "semantic_router_spans_exported_total") == exported
    assert metric(after, "semantic_router_spans_dropped_total") == 0
