"""The ext_proc listener's memory caps against a running `serve`: clients that send requests
whose answers are large (the body with its "auto" model rewritten, about 1 MB each) and never
read them. Each connection holds at most the output cap before its new streams are refused,
and it is closed once it stays full past `output_stall_timeout`; the router's RSS stays
bounded and it keeps serving. The test waits on the router's own counters (read from /metrics);
the deadlines only guard against a hang.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import h2.config
import h2.connection
import h2.events
from envoy.config.core.v3 import base_pb2
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep

import rawh2
import stack

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
GUARD_SECONDS = 60.0
CONNECTIONS = 20
STREAMS_PER_CONNECTION = 10
BODY_SIZE = 1_000_000
OUTPUT_CAP = 2 << 20
REFUSED = 'semantic_router_streams_refused_total{reason="output_full"}'
STALLED = 'semantic_router_connections_closed_total{reason="output_stalled"}'


def write_config() -> Path:
  """The shipped config (examples found by absolute path), with a 2 MiB output cap and a 1 s
  stall timeout."""
  text = (DEPLOY / "router-config.yaml").read_text()
  text = text.replace('"classifier/', f'"{DEPLOY}/classifier/')
  text = text.replace("max_connection_output_bytes: 16777216",
                      f"max_connection_output_bytes: {OUTPUT_CAP}")
  text = text.replace("output_stall_timeout: 30s", "output_stall_timeout: 1s")
  config = stack.scratch_dir() / "memory-caps.yaml"
  config.write_text(text)
  return config


def exchange_messages(body: bytes) -> bytes:
  """Request headers and a chat body for "auto": the answer carries the rewritten body."""
  def header(key: str, value: str) -> base_pb2.HeaderValue:
    return base_pb2.HeaderValue(key=key, raw_value=value.encode())
  headers = ep.ProcessingRequest(request_headers=ep.HttpHeaders(headers=base_pb2.HeaderMap(
    headers=[header(":method", "POST"), header(":path", "/v1/chat/completions"),
             header("content-type", "application/json"),
             header("content-length", str(len(body)))])))
  request_body = ep.ProcessingRequest(request_body=ep.HttpBody(body=body, end_of_stream=True))
  return (rawh2.grpc_frame(headers.SerializeToString())
          + rawh2.grpc_frame(request_body.SerializeToString()))


def open_non_reader(port: int, payload: bytes) -> socket.socket:
  """A connection that reads only the router's first SETTINGS and connection WINDOW_UPDATE,
  sends `STREAMS_PER_CONNECTION` requests within those windows as far as the router reads them
  (it stops reading once its answers fill the cap), and then never reads."""
  sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
  # A small receive buffer (set before connecting, so the kernel does not grow it): the answers
  # wait in the router, not in this socket.
  sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
  sock.settimeout(GUARD_SECONDS)
  sock.connect(("127.0.0.1", port))
  conn = h2.connection.H2Connection(
    config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
  conn.initiate_connection()
  sock.sendall(conn.data_to_send())
  window_granted = False
  while not window_granted:
    chunk = sock.recv(65536)
    assert chunk, "router closed the connection before its SETTINGS"
    for event in conn.receive_data(chunk):
      if isinstance(event, h2.events.WindowUpdated) and event.stream_id == 0:
        window_granted = True
  sock.sendall(conn.data_to_send())
  for _ in range(STREAMS_PER_CONNECTION):
    stream_id = conn.get_next_available_stream_id()
    conn.send_headers(stream_id, rawh2.grpc_request_headers())
    for offset in range(0, len(payload), 16384):
      conn.send_data(stream_id, payload[offset:offset + 16384],
                     end_stream=offset + 16384 >= len(payload))
  outgoing = conn.data_to_send()
  sock.setblocking(False)
  try:
    while outgoing:
      outgoing = outgoing[sock.send(outgoing):]
  except (BlockingIOError, ConnectionError):
    pass  # the router stopped reading (or already closed): the rest is never sent
  return sock


def wait_for_metric(router: stack.Router, name: str, value: float) -> tuple[float, int]:
  """Polls /metrics until `name` reaches `value` (or the guard time passes); returns it and
  the highest RSS (KiB) seen meanwhile."""
  deadline = time.monotonic() + GUARD_SECONDS
  current, peak_kib = router.metric(name), router.rss_kib()
  while current < value and time.monotonic() < deadline:
    time.sleep(0.1)
    current, peak_kib = router.metric(name), max(peak_kib, router.rss_kib())
  return current, peak_kib


def test_clients_that_never_read_large_answers_hold_bounded_memory(make_router):
  router = make_router(config=str(write_config()))
  payload = exchange_messages(stack.chat_completion_body(BODY_SIZE))
  baseline_kib = router.rss_kib()
  sockets = [open_non_reader(router.port, payload) for _ in range(CONNECTIONS)]
  try:
    stalled, peak_kib = wait_for_metric(router, STALLED, CONNECTIONS)
    after_kib = router.rss_kib()
    refused = router.metric(REFUSED)
    pauses = router.metric("semantic_router_connection_read_pauses_total")
    requests = CONNECTIONS * STREAMS_PER_CONNECTION
    print(f"\n{requests} requests for answers of about {BODY_SIZE} bytes from {CONNECTIONS} "
          "clients that never read: "
          f"RSS {baseline_kib} KiB before, at most {peak_kib} KiB while held "
          f"(+{(peak_kib - baseline_kib) // 1024} MiB), {after_kib} KiB after the closes; "
          f"{int(refused)} streams refused (output_full), {int(pauses)} read pauses, "
          f"{int(stalled)} connections closed (output_stalled)")
    assert stalled == CONNECTIONS, router.log_tail()
    assert refused > 0
    assert pauses >= CONNECTIONS
    # Without caps every answer stayed queued (222 MB for 200 answers). Now each connection
    # holds about the 2 MiB cap plus the answer that crossed it; generous for allocator slack.
    assert peak_kib - baseline_kib < 120 * 1024
    assert router.metric("semantic_router_buffered_bytes") == 0
    assert stack.health_status(router.address) == "SERVING"
  finally:
    for sock in sockets:
      sock.close()
  assert router.running()


def test_half_sent_large_messages_stay_within_the_input_cap(make_router):
  """50 streams each start a 4 MiB message and stop (the shipped 16 MiB input cap): the client
  may send only the connection window, which the router does not grant again while the
  messages are incomplete; the streams opened after it filled are refused."""
  router = make_router(config=str(write_config()))
  baseline_kib = router.rss_kib()
  with rawh2.RawH2Client(router.port) as client:
    while client.conn.outbound_flow_control_window <= 65535:
      client._handle(client.conn.receive_data(client.sock.recv(65536)))
    streams = []
    for _ in range(50):
      stream_id = client.start(rawh2.grpc_request_headers())
      streams.append(stream_id)
      part = rawh2.grpc_frame(b"x" * (4 << 20))[:1 << 20]
      size = min(len(part), client.conn.local_flow_control_window(stream_id))
      for offset in range(0, size, 16384):
        client.send(stream_id, part[offset:min(offset + 16384, size)])
    last = client.wait(streams[-1], timeout=GUARD_SECONDS)
    refused = router.metric('semantic_router_streams_refused_total{reason="input_full"}')
    buffered = router.metric("semantic_router_buffered_bytes")
    rss_kib = router.rss_kib()
    print(f"\n50 half-sent 4 MiB messages: {int(buffered)} bytes held, {int(refused)} streams "
          f"refused (input_full), RSS {baseline_kib} KiB before, {rss_kib} KiB with them held")
    assert last.reset_code == 7  # REFUSED_STREAM
    assert buffered <= 16 << 20
    assert refused >= 30
    assert rss_kib - baseline_kib < 80 * 1024
    assert stack.health_status(router.address) == "SERVING"
