"""An OTLP/gRPC trace receiver that only counts: the benchmark's collector.

Decodes each ExportTraceServiceRequest (so a malformed export fails) and counts its spans and
calls; nothing is stored or printed per span, so it stays far from being the bottleneck. Prints
"listening on PORT" when ready and, on SIGTERM or SIGINT, one line "spans=N exports=M" before it
exits.

Usage: otlp_sink.py PORT
"""

import signal
import sys
import threading
from concurrent import futures

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2


class Counter:
  """Spans and export calls received, under a lock (grpc calls come on pool threads)."""

  def __init__(self) -> None:
    self.lock = threading.Lock()
    self.spans = 0
    self.exports = 0

  def export(self, request, context):
    spans = sum(len(scope.spans) for resource in request.resource_spans
                for scope in resource.scope_spans)
    with self.lock:
      self.spans += spans
      self.exports += 1
    return trace_service_pb2.ExportTraceServiceResponse()


def main() -> None:
  port = int(sys.argv[1])
  counter = Counter()
  handler = grpc.method_handlers_generic_handler(
    "opentelemetry.proto.collector.trace.v1.TraceService",
    {"Export": grpc.unary_unary_rpc_method_handler(
      counter.export,
      request_deserializer=trace_service_pb2.ExportTraceServiceRequest.FromString,
      response_serializer=trace_service_pb2.ExportTraceServiceResponse.SerializeToString)})
  server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                       options=[("grpc.max_receive_message_length", 64 << 20)])
  server.add_generic_rpc_handlers((handler,))
  server.add_insecure_port(f"127.0.0.1:{port}")
  server.start()
  print(f"listening on {port}", flush=True)
  stop = threading.Event()
  signal.signal(signal.SIGTERM, lambda *_: stop.set())
  signal.signal(signal.SIGINT, lambda *_: stop.set())
  stop.wait()
  server.stop(2).wait()
  with counter.lock:
    print(f"spans={counter.spans} exports={counter.exports}", flush=True)


if __name__ == "__main__":
  main()
