"""The OpenAI client example (deploy/tracing/openai_client_tracing.py) runs against a stub vLLM
standing in for the router, and its spans link to the backend's: one trace per example, the
backend's `vllm.generate` under the instrumented OpenAI client span (chat), or beside the
`openai.response` span under the example's span (the Responses API, whose instrumented span
does not propagate the context)."""

from __future__ import annotations

import os
import subprocess
import sys

from otlp_receiver import OTLPReceiver
from vllm_stub_process import REPO_ROOT, VLLMStubProcess

EXAMPLE = REPO_ROOT / "deploy" / "tracing" / "openai_client_tracing.py"
EXAMPLE_SPANS = [
  "example_1_auto_routing", "example_2_math_query", "example_3_code_query",
  "example_4_explicit_model", "example_5_streaming", "example_6_responses_api",
]
TOKENS = 5


def test_every_example_forms_one_trace_from_client_to_backend() -> None:
  with OTLPReceiver() as receiver, VLLMStubProcess(
    name="only-backend", otlp_url=receiver.url, tokens=TOKENS,
  ) as stub:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(SEMANTIC_ROUTER_URL=stub.url, OTLP_ENDPOINT=receiver.url, EXPLICIT_MODEL="m-x")
    result = subprocess.run(
      [sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6/6 requests succeeded" in result.stdout
    assert "x-backend-name=only-backend" in result.stdout

    roots = receiver.wait_for_spans(6, lambda s: s.name in EXAMPLE_SPANS)
    assert sorted(s.name for s in roots) == sorted(EXAMPLE_SPANS)
    for root in roots:
      responses = root.name == "example_6_responses_api"
      client_span = "openai.response" if responses else "openai.chat"
      trace = receiver.wait_for_trace(root.trace_id, [root.name, client_span, "vllm.generate"])
      by_name = {s.name: s for s in trace}
      assert len(trace) == 3, [s.name for s in trace]
      client, backend = by_name[client_span], by_name["vllm.generate"]
      assert root.is_root and root.service_name == "openai-client-example"
      assert client.parent_span_id == root.span_id and client.kind == "CLIENT"
      assert backend.parent_span_id == (root if responses else client).span_id
      assert backend.service_name == "vllm"
      assert backend.attributes["gen_ai.usage.output_tokens"] == TOKENS

    models = [r["model"] for r in stub.debug_requests()]
    assert models == ["auto", "auto", "auto", "m-x", "auto", "auto"]
    assert [r["stream"] for r in stub.debug_requests()] == [False] * 4 + [True, False]
    assert [r["path"] for r in stub.debug_requests()][-1] == "/v1/responses"
