"""A pass-through ext_proc processor on Python grpcio + xds-protos: the common alternative.

Answers every ProcessingRequest with the empty response of the matching kind and, like the
router's pass-through processor, adds `x-extproc: semantic-router` to the request headers.

Usage: python_extproc.py PORT [WORKERS]
"""

import signal
import sys
from concurrent import futures

import grpc
from envoy.config.core.v3 import base_pb2
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep
from envoy.service.ext_proc.v3 import external_processor_pb2_grpc as ep_grpc


def _header_mutation() -> ep.CommonResponse:
  option = base_pb2.HeaderValueOption(
    header=base_pb2.HeaderValue(key="x-extproc", raw_value=b"semantic-router"))
  return ep.CommonResponse(header_mutation=ep.HeaderMutation(set_headers=[option]))


class PassThrough(ep_grpc.ExternalProcessorServicer):
  """The matching empty answer to each message, in order."""

  def Process(self, request_iterator, context):
    for request in request_iterator:
      kind = request.WhichOneof("request")
      if kind == "request_headers":
        yield ep.ProcessingResponse(
          request_headers=ep.HeadersResponse(response=_header_mutation()))
      elif kind == "response_headers":
        yield ep.ProcessingResponse(response_headers=ep.HeadersResponse())
      elif kind == "request_body":
        yield ep.ProcessingResponse(request_body=ep.BodyResponse())
      elif kind == "response_body":
        yield ep.ProcessingResponse(response_body=ep.BodyResponse())
      elif kind == "request_trailers":
        yield ep.ProcessingResponse(request_trailers=ep.TrailersResponse())
      elif kind == "response_trailers":
        yield ep.ProcessingResponse(response_trailers=ep.TrailersResponse())
      else:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unexpected message: {kind}")


def main() -> None:
  port = int(sys.argv[1])
  workers = int(sys.argv[2]) if len(sys.argv) > 2 else 64
  server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
  ep_grpc.add_ExternalProcessorServicer_to_server(PassThrough(), server)
  server.add_insecure_port(f"127.0.0.1:{port}")
  server.start()
  print(f"listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
  signal.signal(signal.SIGTERM, lambda *_: server.stop(1))
  server.wait_for_termination()


if __name__ == "__main__":
  main()
