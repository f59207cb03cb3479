#!/usr/bin/env python3
"""Sends a few OpenAI requests through the semantic router, traced with OpenTelemetry: chat
completions (JSON and streamed) and one Responses API call (`client.responses.create`).

Each example runs under its own parent span (`example_1_auto_routing`, ...). The OpenAI
instrumentation adds a client span per call (`openai.chat`, `openai.response`). Its chat span
puts its W3C `traceparent` on the HTTP request; its Responses span does not, so that example
sends the example span's context itself. Either way the router's spans and the backend's
`vllm.generate` span join the same trace.

Environment:
  SEMANTIC_ROUTER_URL  where Envoy listens (default http://localhost:8000)
  OTLP_ENDPOINT        OTLP/gRPC collector (default http://localhost:4317)
  OPENAI_API_KEY       sent as the bearer token (default dummy-key-for-local-testing)
  EXPLICIT_MODEL       the model example 4 names (default llama-3.1-70b)
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

from openai import OpenAI
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.propagate import inject
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

SERVICE = "openai-client-example"
ROUTER_URL = os.environ.get("SEMANTIC_ROUTER_URL", "http://localhost:8000").rstrip("/")
OTLP_ENDPOINT = os.environ.get("OTLP_ENDPOINT", "http://localhost:4317")
API_KEY = os.environ.get("OPENAI_API_KEY", "dummy-key-for-local-testing")
EXPLICIT_MODEL = os.environ.get("EXPLICIT_MODEL", "llama-3.1-70b")


def setup_tracing() -> TracerProvider:
  """Installs a tracer provider that batches spans to OTLP/gRPC, and instruments OpenAI."""
  provider = TracerProvider(resource=Resource.create({SERVICE_NAME: SERVICE}))
  endpoint = OTLP_ENDPOINT if "://" in OTLP_ENDPOINT else "http://" + OTLP_ENDPOINT
  exporter = OTLPSpanExporter(endpoint=endpoint, insecure=not endpoint.startswith("https://"))
  provider.add_span_processor(BatchSpanProcessor(exporter))
  trace.set_tracer_provider(provider)
  OpenAIInstrumentor().instrument()
  return provider


def describe(headers: Any) -> str:
  """The routing decision the response headers reveal: the router's x-vsr-* and the backend."""
  shown = {k: v for k, v in headers.items() if k.lower().startswith(("x-vsr-", "x-backend-"))}
  return ", ".join(f"{k}={v}" for k, v in sorted(shown.items())) or "no routing headers"


def ask(client: OpenAI, model: str, question: str) -> None:
  """One JSON chat completion; prints the model that answered, routing headers and tokens."""
  raw = client.chat.completions.with_raw_response.create(
    model=model, messages=[{"role": "user", "content": question}], max_tokens=64,
  )
  completion = raw.parse()
  usage = completion.usage
  tokens = f"{usage.prompt_tokens} in / {usage.completion_tokens} out" if usage else "no usage"
  print(f"  asked model : {model}")
  print(f"  answered by : {completion.model} ({describe(raw.headers)})")
  print(f"  tokens      : {tokens}")
  print(f"  reply       : {completion.choices[0].message.content[:80]!r}")


def ask_streaming(client: OpenAI, model: str, question: str) -> None:
  """One streamed chat completion (SSE), asking for the final usage chunk."""
  stream = client.chat.completions.create(
    model=model, messages=[{"role": "user", "content": question}], max_tokens=64, stream=True,
    stream_options={"include_usage": True},
  )
  pieces: list[str] = []
  answered_by = "?"
  usage = None
  for chunk in stream:
    answered_by = chunk.model or answered_by
    if chunk.usage is not None:
      usage = chunk.usage
    for choice in chunk.choices:
      pieces.append(choice.delta.content or "")
  tokens = f"{usage.prompt_tokens} in / {usage.completion_tokens} out" if usage else "no usage"
  print(f"  asked model : {model} (streamed)")
  print(f"  answered by : {answered_by}")
  print(f"  tokens      : {tokens}")
  print(f"  reply       : {''.join(pieces)[:80]!r}")


def ask_responses(client: OpenAI, model: str, question: str) -> None:
  """One Responses API call. The instrumentation's `openai.response` span does not propagate
  the trace context, so the current one goes on the request as `traceparent`."""
  headers: dict[str, str] = {}
  inject(headers)
  raw = client.responses.with_raw_response.create(
    model=model, input=question, max_output_tokens=64, extra_headers=headers,
  )
  response = raw.parse()
  usage = response.usage
  tokens = f"{usage.input_tokens} in / {usage.output_tokens} out" if usage else "no usage"
  print(f"  asked model : {model} (Responses API)")
  print(f"  answered by : {response.model} ({describe(raw.headers)})")
  print(f"  tokens      : {tokens}")
  print(f"  reply       : {response.output_text[:80]!r}")


def main() -> int:
  provider = setup_tracing()
  tracer = trace.get_tracer(SERVICE)
  client = OpenAI(base_url=f"{ROUTER_URL}/v1", api_key=API_KEY, max_retries=0, timeout=60)
  print(f"router: {ROUTER_URL}  spans to: {OTLP_ENDPOINT}")

  examples: list[tuple[str, str, Callable[[], None]]] = [
    ("example_1_auto_routing", "auto routing, a science question", lambda: ask(
      client, "auto", "Explain how photosynthesis turns sunlight into chemical energy.")),
    ("example_2_math_query", "auto routing, a math question", lambda: ask(
      client, "auto", "Solve the equation 3x + 7 = 22 and check the solution.")),
    ("example_3_code_query", "auto routing, a coding question", lambda: ask(
      client, "auto", "Write a Python function that reverses a linked list.")),
    ("example_4_explicit_model", f"an explicit model ({EXPLICIT_MODEL})", lambda: ask(
      client, EXPLICIT_MODEL, "Give me three tips for writing clear documentation.")),
    ("example_5_streaming", "auto routing, streamed", lambda: ask_streaming(
      client, "auto", "Describe the water cycle in a few sentences.")),
    ("example_6_responses_api", "auto routing, the Responses API", lambda: ask_responses(
      client, "auto", "What is the derivative of x squared times sine x?")),
  ]
  failures = 0
  for span_name, title, run in examples:
    print(f"\n{span_name}: {title}")
    with tracer.start_as_current_span(span_name) as span:
      span.set_attribute("example.title", title)
      started = time.perf_counter()
      try:
        run()
      except Exception as error:  # keep going: one failed request should not hide the rest
        failures += 1
        span.record_exception(error)
        span.set_status(trace.Status(trace.StatusCode.ERROR, str(error)))
        print(f"  failed      : {type(error).__name__}: {error}")
      print(f"  trace id    : {span.get_span_context().trace_id:032x} "
            f"({(time.perf_counter() - started) * 1000:.0f} ms)")

  provider.shutdown()  # flushes the batch processor before exit
  print(f"\n{len(examples) - failures}/{len(examples)} requests succeeded; spans sent to "
        f"{OTLP_ENDPOINT} as service '{SERVICE}'.")
  return 1 if failures else 0


if __name__ == "__main__":
  sys.exit(main())
