"""The span-cost benchmark with the OpenTelemetry Python SDK, to compare with ours.

The same spans as RouterBenchmarks `spans`: requests of five in one of two shapes, through the
SDK's BatchSpanProcessor (queue 2048, batches of 512) and OTLPSpanExporter (OTLP/gRPC, insecure)
to the receiver at HOST:PORT, flushing every 1020 spans so none is dropped. CPU is the
process's (time.process_time: every thread, the exporter's included). Prints one JSON line.

Shapes (SHAPE, default router):
- router: the spans the router records for a routed, non-streamed request that misses the
  cache and is answered 200: a SERVER root with 15 attributes, then under it, one after the
  other, classification (3), cache lookup (1), routing decision (5) and the CLIENT upstream
  request (11): 35 attributes, 7 per span.
- uniform12: a SERVER root and four INTERNAL children, each with the same 12 attributes, the
  heavier case.

Usage: otel_python_spans.py HOST:PORT [SPANS] [ROUNDS] [SHAPE]
"""

import json
import statistics
import sys
import time

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult

FLUSH_EVERY = 1020
SPANS_PER_REQUEST = 5
CHILDREN = ("semantic_router.classification", "semantic_router.cache.lookup",
            "semantic_router.routing.decision", "semantic_router.upstream.request")


class CountingExporter(OTLPSpanExporter):
  """The OTLP/gRPC exporter, counting the spans of successful exports."""

  exported = 0

  def export(self, spans):
    result = super().export(spans)
    if result == SpanExportResult.SUCCESS:
      self.exported += len(spans)
    return result


def set_uniform_attributes(span) -> None:
  """The 12 attributes of the uniform12 shape, on every span."""
  span.set_attribute("category.name", "math")
  span.set_attribute("classifier.type", "statistical")
  span.set_attribute("classification.confidence", 0.87)
  span.set_attribute("cache.hit", False)
  span.set_attribute("routing.original_model", "auto")
  span.set_attribute("routing.selected_model", "llama-3.1-70b")
  span.set_attribute("routing.reason", "category_model")
  span.set_attribute("endpoint.name", "model-a-1")
  span.set_attribute("endpoint.address", "http://127.0.0.1:8101")
  span.set_attribute("http.request.method", "POST")
  span.set_attribute("url.path", "/v1/chat/completions")
  span.set_attribute("http.response.status_code", 200)


def emit_uniform_request(tracer) -> None:
  """A SERVER root and four INTERNAL children, each with the same 12 attributes."""
  root = tracer.start_span("semantic_router.request.received", kind=trace.SpanKind.SERVER)
  set_uniform_attributes(root)
  context = trace.set_span_in_context(root)
  for name in CHILDREN:
    child = tracer.start_span(name, context=context)
    set_uniform_attributes(child)
    child.end()
  root.end()


def emit_router_request(tracer) -> None:
  """The five spans of a routed request as the router records them (TracingRequestObserver),
  in the same order of starts, attributes and ends."""
  root = tracer.start_span("semantic_router.request.received", kind=trace.SpanKind.SERVER)
  root.set_attribute("http.request.method", "POST")
  root.set_attribute("url.path", "/v1/chat/completions")
  root.set_attribute("gen_ai.operation.name", "chat")
  root.set_attribute("gen_ai.provider.name", "vllm")
  root.set_attribute("semantic_router.api", "chat_completions")
  root.set_attribute("semantic_router.config.generation", 1)
  root.set_attribute("semantic_router.config.digest", "cc6e2b38d09cbb33")
  context = trace.set_span_in_context(root)

  classification = tracer.start_span("semantic_router.classification", context=context)
  classification.set_attribute("category.name", "math")
  classification.set_attribute("classifier.type", "statistical")
  classification.set_attribute("classification.confidence", 0.87)
  classification.end()
  root.set_attribute("category.name", "math")

  cache_lookup = tracer.start_span("semantic_router.cache.lookup", context=context)
  cache_lookup.set_attribute("cache.hit", False)
  cache_lookup.end()
  root.set_attribute("cache.hit", False)

  routing = tracer.start_span("semantic_router.routing.decision", context=context)
  routing.set_attribute("routing.original_model", "auto")
  routing.set_attribute("routing.selected_model", "llama-3.1-70b")
  routing.set_attribute("routing.reason", "category_model")
  routing.set_attribute("endpoint.name", "model-a-1")
  routing.set_attribute("endpoint.address", "http://127.0.0.1:8101")
  routing.end()
  root.set_attribute("gen_ai.request.model", "auto")
  root.set_attribute("routing.selected_model", "llama-3.1-70b")

  upstream = tracer.start_span("semantic_router.upstream.request", context=context,
                               kind=trace.SpanKind.CLIENT)
  upstream.set_attribute("gen_ai.operation.name", "chat")
  upstream.set_attribute("gen_ai.provider.name", "vllm")
  upstream.set_attribute("gen_ai.request.model", "llama-3.1-70b")
  upstream.set_attribute("semantic_router.api", "chat_completions")
  upstream.set_attribute("semantic_router.api.translated", False)
  upstream.set_attribute("endpoint.name", "model-a-1")
  upstream.set_attribute("endpoint.address", "http://127.0.0.1:8101")
  root.set_attribute("http.response.status_code", 200)
  upstream.set_attribute("http.response.status_code", 200)
  for span in (upstream, root):
    span.set_attribute("gen_ai.response.model", "llama-3.1-70b")
    span.set_attribute("gen_ai.usage.input_tokens", 42)
    span.set_attribute("gen_ai.usage.output_tokens", 128)
  upstream.end()
  root.end()


#: Per shape: the function making one request's five spans, and attributes per span.
SHAPES = {
  "router": (emit_router_request, 7.0),
  "uniform12": (emit_uniform_request, 12.0),
}


def emit(count: int, tracer, processor: BatchSpanProcessor, emit_request) -> int:
  """Makes at least `count` spans (whole requests of five), flushed; returns how many."""
  made = 0
  while made < count:
    emit_request(tracer)
    made += SPANS_PER_REQUEST
    if made % FLUSH_EVERY < SPANS_PER_REQUEST or made >= count:
      if not processor.force_flush(10_000):
        raise RuntimeError("force_flush timed out")
  return made


def main() -> int:
  endpoint = sys.argv[1]
  spans = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
  rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
  shape = sys.argv[4] if len(sys.argv) > 4 else "router"
  if shape not in SHAPES:
    print(f"SHAPE must be one of {', '.join(SHAPES)}, got {shape!r}", file=sys.stderr)
    return 2
  emit_request, attributes_per_span = SHAPES[shape]
  exporter = CountingExporter(endpoint=endpoint, insecure=True)
  processor = BatchSpanProcessor(exporter, max_queue_size=2048, max_export_batch_size=512,
                                 schedule_delay_millis=5000)
  provider = TracerProvider(resource=Resource.create({"service.name": "vllm-semantic-router"}))
  provider.add_span_processor(processor)
  tracer = provider.get_tracer("semantic-router")
  total = emit(FLUSH_EVERY * 2, tracer, processor, emit_request)  # warm-up: connect

  per_span = []
  for _ in range(rounds):
    start = time.process_time()
    made = emit(spans, tracer, processor, emit_request)
    per_span.append((time.process_time() - start) / made * 1e6)
    total += made
  provider.shutdown()
  if exporter.exported != total:
    print(f"exported {exporter.exported} of {total} spans", file=sys.stderr)
    return 1
  median = statistics.median(per_span)
  print(json.dumps({
    "benchmark": "spans", "implementation": "OpenTelemetry Python SDK", "spans": spans,
    "rounds": rounds, "cpu_us_per_span": median, "spans_per_cpu_second": 1e6 / median,
    "round_cpu_us_per_span": per_span, "exported": exporter.exported,
    "shape": shape, "attributes_per_span": attributes_per_span,
  }, sort_keys=True), flush=True)
  return 0


if __name__ == "__main__":
  sys.exit(main())
