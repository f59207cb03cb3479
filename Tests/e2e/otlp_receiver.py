"""An independent OTLP/gRPC trace receiver for tests, built on grpcio and opentelemetry-proto.

Every service under test exports to one receiver; tests then wait for the spans they expect and
check trace ids, parent links, names, attributes and resources on plain Python values.

    with OTLPReceiver() as receiver:          # listens on 127.0.0.1, a free port
      start_service(otlp_endpoint=receiver.url)  # "http://127.0.0.1:PORT"
      spans = receiver.wait_for_spans(1, lambda s: s.name == "vllm.generate")
      assert spans[0].trace_id == "0af7651916cd43dd8448eb211c80319c"

`fail_next(n, code)` answers the next n exports with an error status, to test exporter retries;
`export_requests` keeps the gRPC metadata of each export call.
"""

from __future__ import annotations

import collections
import threading
import time
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any, Callable

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

#: Span kinds by their OTLP number.
SPAN_KINDS = {
  trace_pb2.Span.SPAN_KIND_UNSPECIFIED: "UNSPECIFIED",
  trace_pb2.Span.SPAN_KIND_INTERNAL: "INTERNAL",
  trace_pb2.Span.SPAN_KIND_SERVER: "SERVER",
  trace_pb2.Span.SPAN_KIND_CLIENT: "CLIENT",
  trace_pb2.Span.SPAN_KIND_PRODUCER: "PRODUCER",
  trace_pb2.Span.SPAN_KIND_CONSUMER: "CONSUMER",
}

#: Status codes by their OTLP number.
STATUS_CODES = {
  trace_pb2.Status.STATUS_CODE_UNSET: "UNSET",
  trace_pb2.Status.STATUS_CODE_OK: "OK",
  trace_pb2.Status.STATUS_CODE_ERROR: "ERROR",
}


def decode_value(value: common_pb2.AnyValue) -> Any:
  """An OTLP AnyValue as the Python value it carries (lists and maps recursively)."""
  kind = value.WhichOneof("value")
  if kind is None:
    return None
  if kind == "array_value":
    return [decode_value(v) for v in value.array_value.values]
  if kind == "kvlist_value":
    return decode_attributes(value.kvlist_value.values)
  return getattr(value, kind)


def decode_attributes(attributes: Any) -> dict[str, Any]:
  """Repeated KeyValue as a dict."""
  return {kv.key: decode_value(kv.value) for kv in attributes}


@dataclass(frozen=True)
class SpanEvent:
  """A span event: name, time and attributes."""

  name: str
  time_unix_nano: int
  attributes: dict[str, Any]


@dataclass(frozen=True)
class SpanLink:
  """A link to another span."""

  trace_id: str
  span_id: str
  attributes: dict[str, Any]


@dataclass(frozen=True)
class ReceivedSpan:
  """One decoded span with its resource and scope; ids are lower-case hex, "" when absent."""

  trace_id: str
  span_id: str
  parent_span_id: str
  name: str
  kind: str
  start_time_unix_nano: int
  end_time_unix_nano: int
  attributes: dict[str, Any]
  status_code: str
  status_message: str
  events: tuple[SpanEvent, ...]
  links: tuple[SpanLink, ...]
  trace_state: str
  flags: int
  dropped_attributes_count: int
  resource: dict[str, Any]
  scope_name: str
  scope_version: str
  received_at: float = field(compare=False)

  @property
  def service_name(self) -> str | None:
    """The resource's `service.name`."""
    return self.resource.get("service.name")

  @property
  def duration_seconds(self) -> float:
    return (self.end_time_unix_nano - self.start_time_unix_nano) / 1e9

  @property
  def is_root(self) -> bool:
    return self.parent_span_id == ""


@dataclass(frozen=True)
class ExportCall:
  """One Export RPC as received: its gRPC metadata and how many spans it carried."""

  metadata: dict[str, str]
  span_count: int
  status: str


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
  def __init__(self, receiver: OTLPReceiver) -> None:
    self._receiver = receiver

  def Export(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802 (gRPC name)
    return self._receiver._on_export(request, context)


class OTLPReceiver:
  """A threaded OTLP/gRPC trace receiver that collects decoded spans in memory."""

  def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
    self._host = host
    self._requested_port = port
    self._port: int | None = None
    self._server: grpc.Server | None = None
    self._condition = threading.Condition()
    self._spans: list[ReceivedSpan] = []
    self._calls: list[ExportCall] = []
    self._failures: list[grpc.StatusCode] = []

  # MARK: - Lifecycle

  def start(self) -> OTLPReceiver:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_TraceService(self), server)
    self._port = server.add_insecure_port(f"{self._host}:{self._requested_port}")
    if self._port == 0:
      raise RuntimeError(f"cannot listen on {self._host}:{self._requested_port}")
    server.start()
    self._server = server
    return self

  def stop(self, grace: float = 0.5) -> None:
    if self._server is not None:
      self._server.stop(grace).wait()
      self._server = None

  def __enter__(self) -> OTLPReceiver:
    return self.start()

  def __exit__(self, *_: object) -> None:
    self.stop()

  @property
  def port(self) -> int:
    if self._port is None:
      raise RuntimeError("the receiver is not started")
    return self._port

  @property
  def endpoint(self) -> str:
    """`host:port`, as a router config's `exporter.endpoint` takes it."""
    return f"{self._host}:{self.port}"

  @property
  def url(self) -> str:
    """`http://host:port`, as OTEL_EXPORTER_OTLP_ENDPOINT takes it."""
    return f"http://{self._host}:{self.port}"

  # MARK: - Reading what arrived

  def spans(self, predicate: Callable[[ReceivedSpan], bool] | None = None) -> list[ReceivedSpan]:
    """The spans received so far, in arrival order, optionally filtered."""
    with self._condition:
      return [s for s in self._spans if predicate is None or predicate(s)]

  def wait_for_spans(
    self, count: int, predicate: Callable[[ReceivedSpan], bool] | None = None,
    timeout: float = 15.0,
  ) -> list[ReceivedSpan]:
    """Waits until at least `count` spans match, and returns all that match.

    Raises TimeoutError naming what did arrive, so a failing test says what it saw.
    """
    deadline = time.monotonic() + timeout
    with self._condition:
      while True:
        matching = [s for s in self._spans if predicate is None or predicate(s)]
        if len(matching) >= count:
          return matching
        remaining = deadline - time.monotonic()
        if remaining <= 0:
          counts = collections.Counter(f"{s.service_name}/{s.name}" for s in self._spans)
          seen = ", ".join(f"{n} x{c}" for n, c in sorted(counts.items())) or "nothing"
          raise TimeoutError(
            f"waited {timeout}s for {count} matching spans, got {len(matching)}; "
            f"received: {seen}"
          )
        self._condition.wait(remaining)

  def wait_for_trace(
    self, trace_id: str, names: list[str] | set[str], timeout: float = 15.0,
  ) -> list[ReceivedSpan]:
    """Waits until the trace holds a span with each of `names`; returns the trace's spans."""
    wanted = set(names)
    deadline = time.monotonic() + timeout
    while True:
      trace = self.trace(trace_id)
      if wanted <= {s.name for s in trace}:
        return trace
      remaining = deadline - time.monotonic()
      if remaining <= 0:
        raise TimeoutError(
          f"trace {trace_id}: missing {sorted(wanted - {s.name for s in trace})} after "
          f"{timeout}s; has {sorted(s.name for s in trace)}"
        )
      with self._condition:
        self._condition.wait(min(remaining, 0.2))

  def trace(self, trace_id: str) -> list[ReceivedSpan]:
    """All spans of one trace, in arrival order."""
    return self.spans(lambda s: s.trace_id == trace_id)

  def traces(self) -> dict[str, list[ReceivedSpan]]:
    """Spans grouped by trace id, in order of each trace's first span."""
    grouped: dict[str, list[ReceivedSpan]] = {}
    for span in self.spans():
      grouped.setdefault(span.trace_id, []).append(span)
    return grouped

  @property
  def export_calls(self) -> list[ExportCall]:
    with self._condition:
      return list(self._calls)

  def clear(self) -> None:
    """Forgets every span and export call received so far."""
    with self._condition:
      self._spans.clear()
      self._calls.clear()

  # MARK: - Fault injection

  def fail_next(self, count: int, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE) -> None:
    """Answers the next `count` Export calls with `code` (their spans are not kept)."""
    with self._condition:
      self._failures.extend([code] * count)

  # MARK: - Server side

  def _on_export(self, request: Any, context: grpc.ServicerContext) -> Any:
    metadata = {key: value for key, value in context.invocation_metadata()}
    now = time.time()
    decoded: list[ReceivedSpan] = []
    for resource_spans in request.resource_spans:
      resource = decode_attributes(resource_spans.resource.attributes)
      for scope_spans in resource_spans.scope_spans:
        for span in scope_spans.spans:
          decoded.append(self._decode(span, resource, scope_spans.scope, now))
    with self._condition:
      failure = self._failures.pop(0) if self._failures else None
      status = "OK" if failure is None else failure.name
      self._calls.append(ExportCall(metadata, len(decoded), status))
      if failure is None:
        self._spans.extend(decoded)
      self._condition.notify_all()
    if failure is not None:
      context.abort(failure, "failure injected by the test receiver")
    return trace_service_pb2.ExportTraceServiceResponse()

  @staticmethod
  def _decode(
    span: trace_pb2.Span, resource: dict[str, Any], scope: Any, received_at: float,
  ) -> ReceivedSpan:
    return ReceivedSpan(
      trace_id=span.trace_id.hex(),
      span_id=span.span_id.hex(),
      parent_span_id=span.parent_span_id.hex(),
      name=span.name,
      kind=SPAN_KINDS.get(span.kind, str(span.kind)),
      start_time_unix_nano=span.start_time_unix_nano,
      end_time_unix_nano=span.end_time_unix_nano,
      attributes=decode_attributes(span.attributes),
      status_code=STATUS_CODES.get(span.status.code, str(span.status.code)),
      status_message=span.status.message,
      events=tuple(
        SpanEvent(e.name, e.time_unix_nano, decode_attributes(e.attributes)) for e in span.events
      ),
      links=tuple(
        SpanLink(link.trace_id.hex(), link.span_id.hex(), decode_attributes(link.attributes))
        for link in span.links
      ),
      trace_state=span.trace_state,
      flags=span.flags,
      dropped_attributes_count=span.dropped_attributes_count,
      resource=resource,
      scope_name=scope.name,
      scope_version=scope.version,
      received_at=received_at,
    )
