"""The span-cost benchmark with the OpenTelemetry Python SDK, to compare with ours.

The same spans as RouterBenchmarks `spans`: requests of five (a SERVER root and four children)
with the router's 12 attributes each, through the SDK's BatchSpanProcessor (queue 2048,
batches of 512) and OTLPSpanExporter (OTLP/gRPC, insecure) to the receiver at HOST:PORT,
flushing every 1024 spans so none is dropped. CPU is the process's (time.process_time: every
thread, the exporter's included). Prints one JSON line.

Usage: otel_python_spans.py HOST:PORT [SPANS] [ROUNDS]
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

FLUSH_EVERY = 1024
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


def set_router_attributes(span) -> None:
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


def emit(count: int, tracer, processor: BatchSpanProcessor) -> int:
  """Makes at least `count` spans (whole requests of five), flushed; returns how many."""
  made = 0
  while made < count:
    root = tracer.start_span("semantic_router.request.received", kind=trace.SpanKind.SERVER)
    set_router_attributes(root)
    context = trace.set_span_in_context(root)
    for name in CHILDREN:
      child = tracer.start_span(name, context=context)
      set_router_attributes(child)
      child.end()
    root.end()
    made += 5
    if made % FLUSH_EVERY < 5 or made >= count:
      if not processor.force_flush(10_000):
        raise RuntimeError("force_flush timed out")
  return made


def main() -> int:
  endpoint = sys.argv[1]
  spans = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
  rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
  exporter = CountingExporter(endpoint=endpoint, insecure=True)
  processor = BatchSpanProcessor(exporter, max_queue_size=2048, max_export_batch_size=512,
                                 schedule_delay_millis=5000)
  provider = TracerProvider(resource=Resource.create({"service.name": "vllm-semantic-router"}))
  provider.add_span_processor(processor)
  tracer = provider.get_tracer("semantic-router")
  total = emit(FLUSH_EVERY * 2, tracer, processor)  # warm-up: connect

  per_span = []
  for _ in range(rounds):
    start = time.process_time()
    made = emit(spans, tracer, processor)
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
  }, sort_keys=True), flush=True)
  return 0


if __name__ == "__main__":
  sys.exit(main())
