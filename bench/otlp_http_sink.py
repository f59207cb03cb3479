"""An OTLP/HTTP trace receiver that only counts: the exporter benchmark's collector.

`POST /v1/traces` with an ExportTraceServiceRequest in protobuf; each body is decoded (so a
malformed export fails with 400) and its spans and calls are counted; connections are kept
alive. Prints "listening on PORT" when ready and, on SIGTERM or SIGINT, one line
"spans=N exports=M" before it exits.

Usage: otlp_http_sink.py PORT
"""

import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

lock = threading.Lock()
counts = {"spans": 0, "exports": 0}
EMPTY_RESPONSE = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()


class Handler(BaseHTTPRequestHandler):
  protocol_version = "HTTP/1.1"

  def do_POST(self) -> None:  # noqa: N802 (http.server's name)
    body = self.rfile.read(int(self.headers["Content-Length"]))
    try:
      request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
    except Exception:  # noqa: BLE001 (any decode error is the client's)
      self.answer(400, b"undecodable")
      return
    spans = sum(len(scope.spans) for resource in request.resource_spans
                for scope in resource.scope_spans)
    with lock:
      counts["spans"] += spans
      counts["exports"] += 1
    self.answer(200, EMPTY_RESPONSE)

  def answer(self, status: int, body: bytes) -> None:
    self.send_response(status)
    self.send_header("Content-Type", "application/x-protobuf")
    self.send_header("Content-Length", str(len(body)))
    self.end_headers()
    self.wfile.write(body)

  def log_message(self, *args: object) -> None:
    pass


def main() -> None:
  port = int(sys.argv[1])
  server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
  server.daemon_threads = True
  threading.Thread(target=server.serve_forever, daemon=True).start()
  print(f"listening on {port}", flush=True)
  stop = threading.Event()
  signal.signal(signal.SIGTERM, lambda *_: stop.set())
  signal.signal(signal.SIGINT, lambda *_: stop.set())
  stop.wait()
  server.shutdown()
  with lock:
    print(f"spans={counts['spans']} exports={counts['exports']}", flush=True)


if __name__ == "__main__":
  main()
