"""Faults through a real Envoy 1.40: a backend that resets the connection, answers 503 or stalls
past Envoy's route timeout; a client that goes away while the backend stalls; an SSE stream cut
after three chunks by the client or by a backend reset. The router's spans, decoded by an
independent OTLP/gRPC receiver, must end with status ERROR and the right `error.type`, every span
the router started must be exported (nothing left open), and `semantic_router_requests_total`
must count each outcome once.

What Envoy 1.40 tells the ext_proc server in each case (seen with a grpcio ext_proc probe): a
reset or a route timeout becomes Envoy's local reply (503, 504), sent to ext_proc as response
headers and a whole body like any answer; a client that goes away ends the ext_proc stream with
a half-close, before any response headers or after the chunks that passed (no chunk marked
end_of_stream). A backend that resets in the middle of an SSE body ends it the same way.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import socket
import struct
import sys
import threading
import time
from pathlib import Path

from dataclasses import dataclass

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack  # noqa: E402
import tracing_stack as ts  # noqa: E402
from raw_http_backend import RawHTTPBackend  # noqa: E402

#: The request header that tells the faulty backend what to do.
FAULT_HEADER = "x-fault"
SSE_CHUNKS = 3


class FaultyBackend(RawHTTPBackend):
  """An HTTP/1.1 backend on a free loopback port that misbehaves as each request's `x-fault`
  header says, after reading the whole request:

  - `reset`: closes the socket with SO_LINGER 0 (a TCP reset), answering nothing;
  - `503`: answers 503 with an OpenAI-style JSON error;
  - `stall`: answers nothing and holds the connection until the peer closes it;
  - `sse`: answers 200 `text/event-stream`, sends three chunks, then holds the stream open until
    the peer closes it;
  - `sse-reset`: as `sse`, then resets the connection once `reset_streams` is set.

  `wait_for_request(trace_id)` returns once a request of that trace has been read.
  """

  def __init__(self) -> None:
    super().__init__("faulty-backend")
    self._arrived = threading.Condition()
    self._trace_ids: set[str] = set()
    self.reset_streams = threading.Event()

  def wait_for_request(self, trace_id: str, timeout: float = 10.0) -> None:
    with self._arrived:
      assert self._arrived.wait_for(lambda: trace_id in self._trace_ids, timeout), trace_id

  @staticmethod
  def _hold_until_closed(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
      while connection.recv(65536):
        pass

  def _serve(self, connection: socket.socket) -> None:
    with connection:
      headers = self._read_request(connection)
      if headers is None:
        return
      with self._arrived:
        self._trace_ids.add(headers.get("traceparent", "--").split("-")[1])
        self._arrived.notify_all()
      fault = headers.get(FAULT_HEADER, "")
      if fault == "reset":
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
      elif fault == "503":
        body = b'{"error":{"message":"overloaded","type":"server_error"}}'
        connection.sendall(
          b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
          b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
      elif fault == "stall":
        self._hold_until_closed(connection)
      elif fault in ("sse", "sse-reset"):
        connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                           b"transfer-encoding: chunked\r\n\r\n")
        for index in range(SSE_CHUNKS):
          event = b'data: {"choices":[{"index":0,"delta":{"content":"t%d"}}]}\n\n' % index
          connection.sendall(b"%x\r\n%s\r\n" % (len(event), event))
        if fault == "sse" or not self.reset_streams.wait(10):
          self._hold_until_closed(connection)
        else:
          connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@dataclass
class FaultyStack:
  router: stack.Router
  backend: FaultyBackend
  #: Envoy as `envoy-config` generates it (route timeout 300 s).
  envoy: stack.Envoy
  #: The same Envoy with a 1 s route timeout, so a stall becomes its 504.
  short_timeout_envoy: stack.Envoy


@pytest.fixture(scope="module")
def faulty(tmp_path_factory, receiver):
  """The router (OTLP/gRPC to `receiver`, 100 ms batches) behind two Envoys, both models served
  by one `FaultyBackend`."""
  with contextlib.ExitStack() as cleanup:
    backend = cleanup.enter_context(FaultyBackend())
    directory = tmp_path_factory.mktemp("faults")
    config = ts.write_router_config(
      directory, {"math-model": backend.url, "chat-model": backend.url},
      {"enabled": True, "exporter": {"type": "otlp", "endpoint": receiver.endpoint},
       "batch": {"schedule_delay": "100ms"}})
    router = cleanup.enter_context(stack.Router(config=str(config)).start())
    envoy = cleanup.enter_context(ts.envoy_for(config, router.port, directory).start())
    short = ts.envoy_for(config, router.port, tmp_path_factory.mktemp("short-timeout"))
    rendered = short.config_path.read_text()
    assert "timeout: 300s" in rendered
    short.config_path.write_text(rendered.replace("timeout: 300s", "timeout: 1s"))
    cleanup.enter_context(short.start())
    yield FaultyStack(router, backend, envoy, short)


_SAMPLE = re.compile(r'^semantic_router_requests_total\{([^}]*)\} (\S+)$')


def requests_by_outcome(router) -> dict[str, float]:
  """`semantic_router_requests_total` summed by its `outcome` label."""
  text = router.metrics_text()
  totals: dict[str, float] = {}
  for line in text.splitlines():
    if match := _SAMPLE.match(line):
      outcome = re.search(r'outcome="([^"]*)"', match.group(1)).group(1)
      totals[outcome] = totals.get(outcome, 0) + float(match.group(2))
  return totals


def wait_for_outcome(router, outcome: str, count: float, timeout: float = 10.0) -> None:
  """Polls /metrics until `outcome` reaches `count` (the request is counted when its ext_proc
  stream ends, just after its spans), and checks it was counted once."""
  deadline = time.monotonic() + timeout
  while (seen := requests_by_outcome(router).get(outcome, 0)) < count:
    assert time.monotonic() < deadline, f"{outcome}: {seen} < {count}\n" + router.log_tail()
    time.sleep(0.05)
  assert seen == count, f"{outcome}: {seen} != {count}"


def router_spans(receiver, trace_id: str) -> dict[str, object]:
  """The router's five spans of `trace_id`, by name, once all have arrived."""
  spans = receiver.wait_for_trace(trace_id, ts.ROUTER_SPANS)
  return ts.by_name([s for s in spans if s.service_name == "vllm-semantic-router"])


def wait_until_every_span_exported(router, receiver, timeout: float = 10.0) -> None:
  """Nothing stays open: every span the router recorded is ended and exported, and the receiver
  holds exactly those (a span left open would keep `exported` below `sampled` for ever)."""
  deadline = time.monotonic() + timeout
  while True:
    sampled = router.metric("semantic_router_spans_sampled_total")
    exported = router.metric("semantic_router_spans_exported_total")
    received = len(receiver.spans(lambda s: s.service_name == "vllm-semantic-router"))
    if sampled == exported == received:
      return
    assert time.monotonic() < deadline, (sampled, exported, received)
    time.sleep(0.05)


def assert_failed(spans, error_type: str, message: str) -> None:
  for name in (ts.ROOT, ts.UPSTREAM):
    span = spans[name]
    assert span.status_code == "ERROR", (name, span.status_code)
    assert span.attributes["error.type"] == error_type, (name, span.attributes)
    assert span.status_message == message, (name, span.status_message)
  # Work that finished before the fault keeps its status.
  for name in ts.ROUTER_SPANS[1:4]:
    assert spans[name].status_code == "UNSET", name


@pytest.mark.parametrize("fault, status", [("reset", 503), ("503", 503), ("stall", 504)])
def test_backend_fault_ends_root_and_upstream_spans_with_the_status_as_error_type(
    faulty, receiver, fault, status):
  envoy = faulty.short_timeout_envoy if fault == "stall" else faulty.envoy
  before = requests_by_outcome(faulty.router).get("upstream_error", 0)
  trace_id = secrets.token_hex(16)
  reply = ts.post(envoy.port, ts.math_question(),
                  {"traceparent": ts.traceparent(trace_id), FAULT_HEADER: fault})
  assert reply.status == status, reply.body

  spans = router_spans(receiver, trace_id)
  assert_failed(spans, str(status), f"HTTP {status}")
  for name in (ts.ROOT, ts.UPSTREAM):
    assert spans[name].attributes["http.response.status_code"] == status
  wait_for_outcome(faulty.router, "upstream_error", before + 1)
  wait_until_every_span_exported(faulty.router, receiver)


def raw_request(trace_id: str, fault: str, stream: bool) -> bytes:
  """An HTTP/1.1 chat request for Envoy with a unique math question."""
  body = json.dumps(ts.math_question(stream=stream)).encode()
  return (b"POST /v1/chat/completions HTTP/1.1\r\nhost: test\r\n"
          b"content-type: application/json\r\ntraceparent: %s\r\n%s: %s\r\n"
          b"content-length: %d\r\n\r\n%s"
          % (ts.traceparent(trace_id).encode(), FAULT_HEADER.encode(), fault.encode(),
             len(body), body))


def test_client_leaving_before_the_response_ends_the_spans_as_client_disconnected(
    faulty, receiver):
  before = requests_by_outcome(faulty.router).get("client_disconnected", 0)
  trace_id = secrets.token_hex(16)
  with socket.create_connection(("127.0.0.1", faulty.envoy.port), timeout=10) as client:
    client.sendall(raw_request(trace_id, "stall", stream=False))
    # The backend holds the request (Envoy's route timeout is 300 s): the client leaves first.
    faulty.backend.wait_for_request(trace_id)

  spans = router_spans(receiver, trace_id)
  assert_failed(spans, "client_disconnected",
                "ext_proc stream ended before the response: client went away")
  assert "http.response.status_code" not in spans[ts.ROOT].attributes
  wait_for_outcome(faulty.router, "client_disconnected", before + 1)
  wait_until_every_span_exported(faulty.router, receiver)


def read_sse_chunks(client: socket.socket) -> None:
  """Reads the answer until the backend's three events have arrived."""
  received = b""
  while received.count(b"data: ") < SSE_CHUNKS:
    chunk = client.recv(65536)
    assert chunk, received
    received += chunk
  assert received.startswith(b"HTTP/1.1 200"), received


@pytest.mark.parametrize("who", ["client drops the stream", "backend resets mid-stream"])
def test_sse_stream_cut_after_three_chunks_ends_the_spans_as_response_incomplete(
    faulty, receiver, who):
  before = requests_by_outcome(faulty.router).get("response_incomplete", 0)
  trace_id = secrets.token_hex(16)
  backend_resets = who.startswith("backend")
  with socket.create_connection(("127.0.0.1", faulty.envoy.port), timeout=10) as client:
    client.sendall(raw_request(trace_id, "sse-reset" if backend_resets else "sse", stream=True))
    read_sse_chunks(client)
    if backend_resets:
      faulty.backend.reset_streams.set()
      # Envoy ends the client's response without its last chunk and closes the connection.
      rest = b""
      with contextlib.suppress(ConnectionResetError):
        while chunk := client.recv(65536):
          rest += chunk
      assert b"0\r\n\r\n" not in rest, rest

  spans = router_spans(receiver, trace_id)
  assert_failed(spans, "response_incomplete",
                "ext_proc stream ended before the response finished")
  upstream = spans[ts.UPSTREAM]
  assert upstream.attributes["http.response.status_code"] == 200
  assert [e.name for e in upstream.events] == ["gen_ai.first_token"]
  wait_for_outcome(faulty.router, "response_incomplete", before + 1)
  wait_until_every_span_exported(faulty.router, receiver)
