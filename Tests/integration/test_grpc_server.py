"""The router's gRPC server driven by independent clients: grpcio with Envoy's own xds-protos
messages, the grpcio health stub, and a raw HTTP/2 client for what grpcio will not send."""

from __future__ import annotations

import queue
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from envoy.config.core.v3 import base_pb2
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep
from envoy.service.ext_proc.v3 import external_processor_pb2_grpc as ep_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

import stack
from rawh2 import PROCESS_PATH, RawH2Client, grpc_frame, grpc_messages, grpc_request_headers

_END = object()
CALL_TIMEOUT = 30.0


class Stream:
  """One Process call whose messages the test sends one at a time."""

  def __init__(self, channel: grpc.Channel, timeout: float = CALL_TIMEOUT) -> None:
    self._outbox: queue.Queue = queue.Queue()
    self.call = ep_grpc.ExternalProcessorStub(channel).Process(
      iter(self._outbox.get, _END), timeout=timeout)

  def send(self, message: ep.ProcessingRequest) -> None:
    self._outbox.put(message)

  def recv(self) -> ep.ProcessingResponse:
    return next(self.call)

  def exchange(self, message: ep.ProcessingRequest) -> ep.ProcessingResponse:
    self.send(message)
    return self.recv()

  def close(self) -> grpc.StatusCode:
    """Half-closes and returns the final status (after checking no extra message came)."""
    self._outbox.put(_END)
    extra = list(self.call)
    assert extra == [], f"messages after the last answer: {extra}"
    return self.call.code()


def headers(*pairs: tuple[str, bytes], end_of_stream: bool = False) -> ep.HttpHeaders:
  return ep.HttpHeaders(
    headers=base_pb2.HeaderMap(
      headers=[base_pb2.HeaderValue(key=k, raw_value=v) for k, v in pairs]),
    end_of_stream=end_of_stream)


REQUEST_HEADERS = ep.ProcessingRequest(request_headers=headers(
  (":method", b"POST"), (":path", b"/v1/chat/completions"), (":authority", b"localhost"),
  (":scheme", b"http"), ("content-type", b"application/json"), ("content-length", b"2")))
REQUEST_BODY = ep.ProcessingRequest(request_body=ep.HttpBody(body=b"{}", end_of_stream=False))
REQUEST_TRAILERS = ep.ProcessingRequest(request_trailers=ep.HttpTrailers(
  trailers=base_pb2.HeaderMap(headers=[base_pb2.HeaderValue(key="x-t", raw_value=b"1")])))
RESPONSE_HEADERS = ep.ProcessingRequest(response_headers=headers(
  (":status", b"200"), ("content-type", b"application/json")))
RESPONSE_BODY = ep.ProcessingRequest(response_body=ep.HttpBody(body=b'{"ok":1}',
                                                               end_of_stream=False))
RESPONSE_TRAILERS = ep.ProcessingRequest(response_trailers=ep.HttpTrailers(
  trailers=base_pb2.HeaderMap(headers=[base_pb2.HeaderValue(key="x-u", raw_value=b"2")])))

FULL_EXCHANGE = [REQUEST_HEADERS, REQUEST_BODY, REQUEST_TRAILERS,
                 RESPONSE_HEADERS, RESPONSE_BODY, RESPONSE_TRAILERS]


def assert_router_header(response: ep.ProcessingResponse) -> None:
  """The pass-through processor's request-headers answer sets x-extproc via raw_value only."""
  assert response.WhichOneof("response") == "request_headers", response
  mutation = response.request_headers.response.header_mutation
  entries = [o.header for o in mutation.set_headers if o.header.key == "x-extproc"]
  assert len(entries) == 1, mutation
  assert entries[0].raw_value == b"semantic-router"
  assert entries[0].value == ""


def assert_no_mutation(common: ep.CommonResponse) -> None:
  """A pass-through answer: CONTINUE, nothing set or removed, no body change, route kept."""
  assert common.status == ep.CommonResponse.CONTINUE, common
  assert not common.HasField("header_mutation") or (
    not common.header_mutation.set_headers and not common.header_mutation.remove_headers), common
  assert not common.HasField("body_mutation"), common
  assert not common.HasField("trailers"), common
  assert not common.clear_route_cache, common


def full_exchange(channel: grpc.Channel) -> None:
  """Every message kind in order, each answered with the matching kind; ends OK."""
  stream = Stream(channel)
  for message in FULL_EXCHANGE:
    reply = stream.exchange(message)
    kind = message.WhichOneof("request")
    assert reply.WhichOneof("response") == kind
    if kind == "request_headers":
      assert_router_header(reply)
  assert stream.close() == grpc.StatusCode.OK


def assert_still_serving(router: stack.Router) -> None:
  """The process is alive and a fresh connection gets a full exchange answered."""
  assert router.running(), router.log_tail()
  with grpc.insecure_channel(router.address) as fresh:
    full_exchange(fresh)


def test_full_exchange_answers_every_kind_in_order(channel):
  stream = Stream(channel)
  replies = [stream.exchange(message) for message in FULL_EXCHANGE]
  assert [r.WhichOneof("response") for r in replies] == [
    "request_headers", "request_body", "request_trailers",
    "response_headers", "response_body", "response_trailers"]
  assert_router_header(replies[0])
  assert_no_mutation(replies[1].request_body.response)
  assert not replies[2].request_trailers.HasField("header_mutation")
  assert_no_mutation(replies[3].response_headers.response)
  assert_no_mutation(replies[4].response_body.response)
  assert not replies[5].response_trailers.HasField("header_mutation")
  assert not any(r.HasField("mode_override") for r in replies)
  assert stream.close() == grpc.StatusCode.OK


def test_pipelined_messages_are_answered_in_order(channel):
  """All six messages sent before reading any answer still get answers in order."""
  stream = Stream(channel)
  for message in FULL_EXCHANGE:
    stream.send(message)
  kinds = [stream.recv().WhichOneof("response") for _ in FULL_EXCHANGE]
  assert kinds == [m.WhichOneof("request") for m in FULL_EXCHANGE]
  assert stream.close() == grpc.StatusCode.OK


def test_200_concurrent_streams_on_one_connection(router, channel):
  streams = [Stream(channel) for _ in range(200)]
  for stream in streams:
    stream.send(REQUEST_HEADERS)
  for stream in streams:
    assert_router_header(stream.recv())
  assert stack.established_connections(router.port) == 1
  for stream in streams:
    stream.send(RESPONSE_HEADERS)
  for stream in streams:
    assert stream.recv().WhichOneof("response") == "response_headers"
  codes = [stream.close() for stream in streams]
  assert codes == [grpc.StatusCode.OK] * 200


def test_200_streams_over_several_connections(router):
  connections: list[int] = []
  # Every worker has its 25 streams open at this point; one of them counts the connections.
  all_open = threading.Barrier(
    8, action=lambda: connections.append(stack.established_connections(router.port)))

  def worker(_: int) -> int:
    # A local subchannel pool keeps grpcio from sharing one connection between the channels.
    with grpc.insecure_channel(router.address,
                               options=[("grpc.use_local_subchannel_pool", 1)]) as chan:
      streams = [Stream(chan) for _ in range(25)]
      for stream in streams:
        stream.send(REQUEST_HEADERS)
        stream.send(REQUEST_BODY)
      for stream in streams:
        assert_router_header(stream.recv())
        assert stream.recv().WhichOneof("response") == "request_body"
      all_open.wait(timeout=CALL_TIMEOUT)
      return sum(stream.close() == grpc.StatusCode.OK for stream in streams)

  with ThreadPoolExecutor(max_workers=8) as pool:
    assert sum(pool.map(worker, range(8))) == 200
  assert connections == [8]


def test_peer_cancelling_mid_stream_leaves_server_serving(router, channel):
  stream = Stream(channel)
  assert_router_header(stream.exchange(REQUEST_HEADERS))
  stream.send(REQUEST_BODY)
  stream.call.cancel()
  with pytest.raises(grpc.RpcError) as error:
    list(stream.call)
  assert error.value.code() == grpc.StatusCode.CANCELLED
  full_exchange(channel)
  assert_still_serving(router)


def test_connection_closed_mid_stream_leaves_server_serving(router):
  chan = grpc.insecure_channel(router.address)
  stream = Stream(chan)
  assert_router_header(stream.exchange(REQUEST_HEADERS))
  # The router counts the stream as cancelled once it has seen the connection go.
  cancelled = 'semantic_router_extproc_streams_total{outcome="cancelled"}'
  before = router.metric(cancelled)
  chan.close()
  deadline = time.monotonic() + 30
  while router.metric(cancelled) == before:
    assert time.monotonic() < deadline, "closed stream never ended\n" + router.log_tail()
    time.sleep(0.02)
  assert_still_serving(router)


def test_one_mebibyte_body_is_answered(channel):
  stream = Stream(channel)
  assert_router_header(stream.exchange(REQUEST_HEADERS))
  body = bytes(range(256)) * 4096
  assert len(body) == 1 << 20
  reply = stream.exchange(ep.ProcessingRequest(
    request_body=ep.HttpBody(body=body, end_of_stream=True)))
  assert reply.WhichOneof("response") == "request_body"
  assert not reply.request_body.response.HasField("body_mutation")
  assert stream.exchange(RESPONSE_HEADERS).WhichOneof("response") == "response_headers"
  assert stream.close() == grpc.StatusCode.OK


def test_five_mebibyte_message_is_resource_exhausted_and_server_keeps_serving(router, channel):
  stream = Stream(channel)
  assert_router_header(stream.exchange(REQUEST_HEADERS))
  stream.send(ep.ProcessingRequest(
    request_body=ep.HttpBody(body=b"x" * (5 << 20), end_of_stream=True)))
  with pytest.raises(grpc.RpcError) as error:
    stream.recv()
  assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error.value
  full_exchange(channel)  # the same connection still works
  assert_still_serving(router)


def test_unknown_method_is_unimplemented(router, channel):
  call = channel.unary_unary("/x.Y/Z")
  with pytest.raises(grpc.RpcError) as error:
    call(b"", timeout=10)
  assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED
  other = channel.stream_stream("/envoy.service.ext_proc.v3.ExternalProcessor/Nope")
  with pytest.raises(grpc.RpcError) as error:
    list(other(iter([b""]), timeout=10))
  assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED
  full_exchange(channel)


def test_unknown_method_gets_trailers_only_answer(router):
  with RawH2Client(router.port) as client:
    stream_id = client.start(grpc_request_headers("/x.Y/Z"))
    client.send(stream_id, grpc_frame(b""), end_stream=True)
    response = client.wait(stream_id)
  assert response.status == 200
  assert response.headers.get("grpc-status") == "12", response
  assert response.data == b""
  assert response.ended


def test_health_check(channel):
  stub = health_pb2_grpc.HealthStub(channel)
  reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
  assert reply.status == health_pb2.HealthCheckResponse.SERVING
  with pytest.raises(grpc.RpcError) as error:
    stub.Check(health_pb2.HealthCheckRequest(service="nope"), timeout=10)
  assert error.value.code() == grpc.StatusCode.NOT_FOUND


def test_health_watch_reports_not_serving_while_draining(make_router):
  router = make_router(drain_timeout=3)
  with grpc.insecure_channel(router.address) as chan:
    watch = health_pb2_grpc.HealthStub(chan).Watch(
      health_pb2.HealthCheckRequest(service=""), timeout=20)
    first = next(watch)
    assert first.status == health_pb2.HealthCheckResponse.SERVING
    router.signal(signal.SIGTERM)
    second = next(watch)
    assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert router.wait(timeout=3 + 5) == 0, router.log_tail()


def test_sigterm_with_nothing_in_flight_exits_zero_promptly(make_router):
  # An hour of drain time: exiting within the wait means the router did not wait for it.
  router = make_router(drain_timeout=3600)
  router.signal(signal.SIGTERM)
  assert router.wait(timeout=60) == 0, router.log_tail()


def test_repeated_request_headers_is_an_error_and_server_keeps_serving(router, channel):
  stream = Stream(channel)
  assert_router_header(stream.exchange(REQUEST_HEADERS))
  stream.send(REQUEST_HEADERS)
  with pytest.raises(grpc.RpcError) as error:
    stream.recv()
  assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION, error.value
  assert "request_headers" in error.value.details(), error.value.details()
  assert_still_serving(router)


def test_request_body_after_end_of_stream_is_an_error(router, channel):
  stream = Stream(channel)
  reply = stream.exchange(ep.ProcessingRequest(request_headers=headers(
    (":method", b"GET"), (":path", b"/models"), end_of_stream=True)))
  assert_router_header(reply)
  stream.send(REQUEST_BODY)
  with pytest.raises(grpc.RpcError) as error:
    stream.recv()
  assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION, error.value
  assert error.value.details(), "the error status carries no grpc-message"
  assert_still_serving(router)


def test_empty_processing_request_is_invalid_argument(router, channel):
  stream = Stream(channel)
  stream.send(ep.ProcessingRequest())
  with pytest.raises(grpc.RpcError) as error:
    stream.recv()
  assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT, error.value
  assert error.value.details(), "the error status carries no grpc-message"
  assert_still_serving(router)


def test_undecodable_message_is_invalid_argument(router):
  with RawH2Client(router.port) as client:
    stream_id = client.start(grpc_request_headers())
    client.send(stream_id, grpc_frame(b"\xff\xff\xff\xff"), end_stream=True)
    response = client.wait(stream_id)
  assert response.grpc_status == 3, response
  assert response.grpc_message, response
  assert_still_serving(router)


def test_non_grpc_content_type_is_415(router):
  with RawH2Client(router.port) as client:
    stream_id = client.start(grpc_request_headers(content_type="text/plain"))
    client.send(stream_id, b"hello", end_stream=True)
    response = client.wait(stream_id)
  assert response.status == 415, response
  assert_still_serving(router)


def test_message_split_into_one_byte_frames_is_reassembled(router):
  payload = grpc_frame(REQUEST_HEADERS.SerializeToString())
  with RawH2Client(router.port) as client:
    stream_id = client.start(grpc_request_headers())
    for i in range(len(payload)):
      client.send(stream_id, payload[i:i + 1])
    # Then a second message in one frame that also ends the stream.
    client.send(stream_id, grpc_frame(RESPONSE_HEADERS.SerializeToString()), end_stream=True)
    response = client.wait(stream_id)
  assert response.status == 200, response
  assert response.grpc_status == 0, response
  replies = [ep.ProcessingResponse.FromString(m) for m in grpc_messages(response.data)]
  assert [r.WhichOneof("response") for r in replies] == ["request_headers", "response_headers"]
  assert_router_header(replies[0])


def test_two_messages_in_one_frame_are_both_answered(router):
  payload = (grpc_frame(REQUEST_HEADERS.SerializeToString())
             + grpc_frame(REQUEST_BODY.SerializeToString()))
  with RawH2Client(router.port) as client:
    stream_id = client.start(grpc_request_headers())
    client.send(stream_id, payload, end_stream=True)
    response = client.wait(stream_id)
  assert response.grpc_status == 0, response
  replies = [ep.ProcessingResponse.FromString(m) for m in grpc_messages(response.data)]
  assert [r.WhichOneof("response") for r in replies] == ["request_headers", "request_body"]


def test_compressed_flag_is_an_error_not_a_crash(router):
  with RawH2Client(router.port) as client:
    stream_id = client.start(grpc_request_headers())
    client.send(stream_id, grpc_frame(REQUEST_HEADERS.SerializeToString(), compressed=True),
                end_stream=True)
    response = client.wait(stream_id)
  assert response.grpc_status not in (None, 0), response
  assert response.grpc_message, response
  assert_still_serving(router)


def test_grpc_timeout_is_answered_with_deadline_exceeded_by_the_server(router):
  """A stream that sends nothing within its grpc-timeout gets DEADLINE_EXCEEDED from the server
  (grpcio would enforce the deadline itself, so a raw client proves the server does)."""
  with RawH2Client(router.port) as client:
    started = time.monotonic()
    stream_id = client.start(grpc_request_headers(extra=[("grpc-timeout", "300m")]))
    response = client.wait(stream_id, timeout=60)
    elapsed = time.monotonic() - started
  assert response.grpc_status == 4, response
  # Not before the deadline (however slow the machine, never sooner).
  assert elapsed >= 0.25, elapsed
  assert_still_serving(router)


def test_truncated_message_at_end_of_stream_is_an_error(router):
  payload = grpc_frame(REQUEST_HEADERS.SerializeToString())
  with RawH2Client(router.port) as client:
    stream_id = client.start(grpc_request_headers())
    client.send(stream_id, payload[:-3], end_stream=True)
    response = client.wait(stream_id)
  assert response.grpc_status not in (None, 0), response
  assert_still_serving(router)
