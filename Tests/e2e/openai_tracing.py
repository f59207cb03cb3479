"""The OpenAI client's instrumentation, installed once per test process.

opentelemetry-instrumentation-openai 0.62.4 leaves a wrapper behind when it is uninstrumented,
so instrumenting again with another tracer provider in the same process makes the request carry
a `traceparent` from the first provider's span (seen here: the router's root span then hangs
under a span no receiver ever got). So every test module shares one provider and one
instrumentation, and points the provider's exporter at its own receiver.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

#: The clients' `service.name`.
CLIENT_SERVICE = "e2e-openai-client"


class _RetargetableExporter(SpanExporter):
  """Exports to the OTLP/gRPC receiver last named with `send_to` (nothing before that)."""

  def __init__(self) -> None:
    self._exporters: dict[str, OTLPSpanExporter] = {}
    self._current: OTLPSpanExporter | None = None

  def send_to(self, url: str) -> None:
    if url not in self._exporters:
      self._exporters[url] = OTLPSpanExporter(endpoint=url, insecure=True)
    self._current = self._exporters[url]

  def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
    if self._current is None:
      return SpanExportResult.SUCCESS
    return self._current.export(spans)

  def shutdown(self) -> None:
    for exporter in self._exporters.values():
      exporter.shutdown()


_exporter = _RetargetableExporter()
_provider: TracerProvider | None = None


def client_provider(receiver_url: str) -> TracerProvider:
  """The shared provider, its spans now going to `receiver_url` (synchronously, as each span
  ends), with the OpenAI client instrumented to it."""
  global _provider
  if _provider is None:
    _provider = TracerProvider(resource=Resource.create({SERVICE_NAME: CLIENT_SERVICE}))
    _provider.add_span_processor(SimpleSpanProcessor(_exporter))
    OpenAIInstrumentor().instrument(tracer_provider=_provider)
  _exporter.send_to(receiver_url)
  return _provider
