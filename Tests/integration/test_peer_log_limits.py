"""Log lines caused by peers are rate limited per kind: a client that fails ext_proc streams as
fast as it opens them adds a handful of lines to the router's log, while /metrics counts every
failed stream and every line left out."""
from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
from envoy.config.core.v3 import base_pb2
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep
from envoy.service.ext_proc.v3 import external_processor_pb2_grpc as ep_grpc

STREAMS = 2000
LOG_INTERVAL = 10.0  # LogRateLimiter's default: one line per kind every 10 s

# Response headers, then request headers: the second is out of order, the stream fails.
OUT_OF_ORDER = [
  ep.ProcessingRequest(response_headers=ep.HttpHeaders(headers=base_pb2.HeaderMap(headers=[
    base_pb2.HeaderValue(key=":status", raw_value=b"200")]))),
  ep.ProcessingRequest(request_headers=ep.HttpHeaders(headers=base_pb2.HeaderMap(headers=[
    base_pb2.HeaderValue(key=":method", raw_value=b"GET"),
    base_pb2.HeaderValue(key=":path", raw_value=b"/")]), end_of_stream=True)),
]


def failing_stream(stub: ep_grpc.ExternalProcessorStub) -> grpc.StatusCode | None:
  call = stub.Process(iter(OUT_OF_ORDER), timeout=30)
  try:
    for _ in call:
      pass
  except grpc.RpcError as error:
    return error.code()
  return None


def test_many_failing_streams_on_one_connection_log_a_handful_of_lines(router):
  before = router.log().count("ext_proc stream closed")
  started = time.monotonic()
  with grpc.insecure_channel(router.address) as channel:  # one channel, one connection
    stub = ep_grpc.ExternalProcessorStub(channel)
    with ThreadPoolExecutor(max_workers=16) as pool:
      codes = list(pool.map(lambda _: failing_stream(stub), range(STREAMS)))
  elapsed = time.monotonic() - started
  assert codes == [grpc.StatusCode.FAILED_PRECONDITION] * STREAMS, set(codes)

  # Every failed stream counted (the positive control: each one would have logged a line).
  assert router.metric("semantic_router_extproc_protocol_errors_total") == STREAMS
  logged = router.log().count("ext_proc stream closed") - before
  # One line per interval the run touched, at most; the rest left out and counted.
  assert 1 <= logged <= 1 + math.ceil(elapsed / LOG_INTERVAL), router.log_tail()
  suppressed = router.metric(
    'semantic_router_log_lines_suppressed_total{kind="extproc.stream_failed"}')
  assert logged + suppressed == STREAMS
  assert router.running(), router.log_tail()
