"""Envoy 1.40 with its OpenTelemetry tracer on (`semantic-router envoy-config
--tracing-collector`), the router and a tracing stub vLLM all exporting to one OTLP/gRPC
receiver: their spans must form one connected tree, with the router's root under Envoy's ext_proc
egress span (the parent Envoy puts in the ext_proc stream's gRPC metadata).
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack  # noqa: E402
import tracing_stack as ts  # noqa: E402
from vllm_stub_process import VLLMStubProcess  # noqa: E402

EXT_PROC_EGRESS = "async envoy.service.ext_proc.v3.ExternalProcessor.Process egress"


def test_envoy_spans_and_router_spans_form_one_tree(tmp_path, receiver):
  with VLLMStubProcess(name="math", model="math-model", otlp_url=receiver.url) as math, \
       VLLMStubProcess(name="chat", model="chat-model", otlp_url=receiver.url) as chat:
    config = ts.write_router_config(
      tmp_path, {"math-model": math.url, "chat-model": chat.url},
      {"enabled": True, "exporter": {"type": "otlp", "endpoint": receiver.endpoint},
       "batch": {"schedule_delay": "100ms"}})
    with stack.Router(config=str(config)) as router, \
         ts.envoy_for(config, router.port, tmp_path, receiver.endpoint) as envoy:
      trace_id = secrets.token_hex(16)
      reply = ts.post(envoy.port, ts.math_question(), {"traceparent": ts.traceparent(trace_id)})
      assert reply.status == 200, reply.body
      # Envoy exports its spans on its own flush interval (5 s by default).
      spans = receiver.wait_for_trace(
        trace_id, set(ts.ROUTER_SPANS) | {EXT_PROC_EGRESS, "vllm.generate"}, timeout=30)

  by_id = {s.span_id: s for s in spans}
  ours = ts.by_name([s for s in spans if s.service_name == "vllm-semantic-router"])
  egress = next(s for s in spans if s.name == EXT_PROC_EGRESS)
  assert egress.service_name == "envoy"

  # The router's root hangs under Envoy's ext_proc egress span, not under the client's span.
  root = ours[ts.ROOT]
  assert root.parent_span_id == egress.span_id
  assert all(ours[name].parent_span_id == root.span_id for name in ts.ROUTER_SPANS[1:])

  # One tree: every parent is in the trace, except the client's span at the top, and every
  # span reaches it.
  for span in spans:
    assert span.parent_span_id in by_id or span.parent_span_id == ts.CLIENT_SPAN_ID, span.name
  for span in spans:
    hops, current = 0, span
    while current.parent_span_id in by_id:
      current, hops = by_id[current.parent_span_id], hops + 1
      assert hops < len(spans), "cycle in the parent links"
    assert current.parent_span_id == ts.CLIENT_SPAN_ID, span.name

  # Envoy's ingress span is the client's child and the egress span's parent; the backend's span
  # sits under Envoy's router span (Envoy overwrites the upstream traceparent with its own).
  ingress = by_id[egress.parent_span_id]
  assert ingress.parent_span_id == ts.CLIENT_SPAN_ID
  backend_span = next(s for s in spans if s.name == "vllm.generate")
  assert by_id[backend_span.parent_span_id].service_name == "envoy"
