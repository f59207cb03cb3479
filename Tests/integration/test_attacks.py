"""Attacks on the ext_proc listener by a raw HTTP/2 peer (frames built here, HPACK by `hpack`),
as an attacker would send them, on loopback with bounded counts.

Each test ends the same way: a new connection still gets SERVING from the health service, the
router's resident memory stays within a generous bound of its baseline, and the attack shows in
the frames the router answered with, in `/metrics` or in its (rate-limited) log.
"""

from __future__ import annotations

import re
import socket
import struct
import subprocess
import time

import hpack
import pytest

import stack
from rawh2 import PROCESS_PATH, RawH2Client, grpc_request_headers

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
  0x0, 0x1, 0x3, 0x4, 0x6, 0x7, 0x8, 0x9)
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
CANCEL, REFUSED_STREAM = 0x8, 0x7
SETTINGS_MAX_CONCURRENT_STREAMS = 0x3
# Memory the router may keep after an attack, over its baseline: allocator slack, not the attack.
RSS_SLACK_KIB = 32 * 1024
# nghttp2's reason when queued control-frame answers pass its limit, as the router logs it.
FLOODING = "Flooding was detected in this HTTP/2 session"


def frame(kind: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
  """One HTTP/2 frame (RFC 9113 §4.1)."""
  return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", kind, flags, stream_id) + payload


def parse_frames(data: bytes) -> list[tuple[int, int, int, bytes]]:
  """The whole frames in `data` as (type, flags, stream id, payload)."""
  frames = []
  offset = 0
  while offset + 9 <= len(data):
    length = int.from_bytes(data[offset:offset + 3], "big")
    kind, flags, stream_id = struct.unpack_from(">BBI", data, offset + 3)
    if offset + 9 + length > len(data):
      break
    frames.append((kind, flags, stream_id & 0x7FFFFFFF, data[offset + 9:offset + 9 + length]))
    offset += 9 + length
  return frames


class RawPeer:
  """A client that writes frames as given, whatever the protocol says, and reads what came back."""

  def __init__(self, port: int) -> None:
    self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    self.encoder = hpack.Encoder()
    self.received = b""
    self.closed = False
    self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0))

  def headers_block(self, path: str = PROCESS_PATH) -> bytes:
    return self.encoder.encode(grpc_request_headers(path))

  def send(self, data: bytes) -> bool:
    """Writes `data`; false once the router has closed the connection."""
    try:
      self.sock.sendall(data)
      return True
    except (BrokenPipeError, ConnectionResetError):
      self.closed = True
      return False

  def drain(self, timeout: float = 10.0, until=None) -> list[tuple[int, int, int, bytes]]:
    """Reads until the router closes, `until(frames)` holds, or `timeout`; returns all frames."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
      if until is not None and until(parse_frames(self.received)):
        break
      self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
      try:
        chunk = self.sock.recv(1 << 20)
      except socket.timeout:
        break
      except ConnectionResetError:
        self.closed = True
        break
      if not chunk:
        self.closed = True
        break
      self.received += chunk
    return parse_frames(self.received)

  def close(self) -> None:
    self.sock.close()

  def __enter__(self) -> "RawPeer":
    return self

  def __exit__(self, *exc) -> None:
    self.close()


def goaway_code(frames) -> int | None:
  """The error code of the router's GOAWAY, if it sent one."""
  for kind, _, _, payload in frames:
    if kind == GOAWAY:
      return struct.unpack_from(">II", payload)[1]
  return None


def closed_count(router: stack.Router, reason: str) -> float:
  return router.metric(f'semantic_router_connections_closed_total{{reason="{reason}"}}')


def assert_survived(router: stack.Router, baseline_kib: int) -> int:
  """Health SERVING on a new connection and memory near baseline; returns the RSS in KiB."""
  assert stack.health_status(router.address) == "SERVING", router.log_tail()
  rss = router.rss_kib()
  assert rss <= baseline_kib * 1.1 + RSS_SLACK_KIB, (baseline_kib, rss)
  return rss


def warm_baseline(router: stack.Router) -> int:
  """RSS after one ordinary exchange, so the first real stream's allocations are not blamed on
  the attack."""
  with RawH2Client(router.port) as client:
    stream_id = client.start(grpc_request_headers(path="/grpc.health.v1.Health/Check"))
    client.send(stream_id, b"\x00\x00\x00\x00\x00", end_stream=True)
    assert client.wait(stream_id).grpc_status == 0
  return router.rss_kib()


def test_rapid_reset_of_thousands_of_streams_is_absorbed(router):
  """CVE-2023-44487: open and cancel streams as fast as possible. Envoy resets every finished
  ext_proc stream, so the router raises nghttp2's reset rate limit out of reach (2^40) and
  answers with work bounded per stream, not with GOAWAY; every reset stream is closed."""
  baseline = warm_baseline(router)
  streams = 20_000
  with RawPeer(router.port) as peer:
    batch = b""
    for index in range(streams):
      stream_id = 1 + 2 * index
      batch += frame(HEADERS, END_HEADERS, stream_id, peer.headers_block())
      batch += frame(RST_STREAM, 0, stream_id, struct.pack(">I", CANCEL))
      if len(batch) > 1 << 16:
        assert peer.send(batch)
        batch = b""
    assert peer.send(batch + frame(PING, 0, 0, b"rapidrst"))
    frames = peer.drain(timeout=60, until=lambda f: any(
      k == PING and flags & ACK for k, flags, _, _ in f))
    assert any(k == PING and flags & ACK for k, flags, _, _ in frames), "no PING ACK"
    assert goaway_code(frames) is None, frames[-3:]
  deadline = time.monotonic() + 30
  while router.metric("semantic_router_connections_open") > 0 and time.monotonic() < deadline:
    time.sleep(0.05)
  assert router.metric("semantic_router_connections_open") == 0
  assert router.metric(
    'semantic_router_extproc_streams_total{outcome="cancelled"}') == streams
  assert_survived(router, baseline)


def test_continuation_flood_closes_the_connection_before_the_block_is_buffered(router):
  """CVE-2024-27316 style: HEADERS without END_HEADERS, then CONTINUATION frames that never end
  the block. nghttp2's CONTINUATION limit (the CVE-2024-28182 fix) stops it after a handful;
  the router logs the protocol error and closes. Its GOAWAY rarely reaches this peer: closing
  with the flood unread makes the kernel reset the connection."""
  baseline = warm_baseline(router)
  with RawPeer(router.port) as peer:
    block = peer.headers_block()
    sent = peer.send(frame(HEADERS, 0, 1, block))
    filler = hpack.Encoder().encode([("x-flood", "a" * 100)])
    flood = frame(CONTINUATION, 0, 1, filler) * 100
    for _ in range(100):  # 10,000 CONTINUATION frames at most
      if not peer.send(flood):
        break
    peer.drain(timeout=30)
    assert sent and peer.closed, router.log_tail()
  assert "Too many CONTINUATION frames" in router.log(), router.log_tail()
  assert closed_count(router, "protocol_error") == 1
  assert_survived(router, baseline)


def test_settings_flood_without_reading_closes_the_connection(router):
  """Thousands of SETTINGS frames while never reading their ACKs: nghttp2 caps the queued ACKs
  and ends the connection rather than queue them without bound."""
  baseline = warm_baseline(router)
  with RawPeer(router.port) as peer:
    flood = frame(SETTINGS, 0, 0, struct.pack(">HI", 0x4, 65535)) * 1000
    for _ in range(100):  # 100,000 frames at most
      if not peer.send(flood):
        break
    frames = peer.drain(timeout=30)
  acks = sum(1 for k, flags, _, _ in frames if k == SETTINGS and flags & ACK)
  assert peer.closed and acks < 100_000, acks
  assert FLOODING in router.log(), router.log_tail()
  assert closed_count(router, "flood") == 1
  assert_survived(router, baseline)


def test_ping_flood_without_reading_closes_the_connection(router):
  """The same with PINGs: nghttp2's outbound-ACK limit (1,000) ends the connection."""
  baseline = warm_baseline(router)
  with RawPeer(router.port) as peer:
    flood = frame(PING, 0, 0, b"floodflo") * 1000
    for _ in range(200):  # 200,000 frames at most
      if not peer.send(flood):
        break
    frames = peer.drain(timeout=30)
  acks = sum(1 for k, flags, _, _ in frames if k == PING and flags & ACK)
  assert peer.closed and acks < 200_000, "every PING was answered: nothing bounds the ACKs"
  assert FLOODING in router.log(), router.log_tail()
  assert closed_count(router, "flood") == 1
  assert_survived(router, baseline)


def test_window_update_flood_past_the_maximum_window_is_a_flow_control_error(router):
  """WINDOW_UPDATEs that push the connection window past 2^31-1 (RFC 9113 §6.9.1)."""
  baseline = warm_baseline(router)
  with RawPeer(router.port) as peer:
    flood = frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 20)) * 1000
    for _ in range(10):
      if not peer.send(flood):
        break
    frames = peer.drain(timeout=30)
  assert goaway_code(frames) == 0x3, frames[-3:]  # FLOW_CONTROL_ERROR
  assert_survived(router, baseline)


def test_empty_data_frame_flood_costs_no_memory_and_the_stream_still_completes(router):
  """100,000 empty DATA frames on one stream (no flow-control cost to the peer), then a
  health Check on it: the stream is answered normally and memory does not grow."""
  baseline = warm_baseline(router)
  with RawPeer(router.port) as peer:
    block = peer.encoder.encode(grpc_request_headers(path="/grpc.health.v1.Health/Check"))
    assert peer.send(frame(HEADERS, END_HEADERS, 1, block))
    flood = frame(DATA, 0, 1) * 1000
    for _ in range(100):
      assert peer.send(flood)
    assert peer.send(frame(DATA, END_STREAM, 1, b"\x00\x00\x00\x00\x00"))

    def answered(frames) -> bool:
      return any(k == HEADERS and flags & END_STREAM and sid == 1 for k, flags, sid, _ in frames)

    assert answered(peer.drain(timeout=30, until=answered)) and not peer.closed
  assert_survived(router, baseline)


def open_past_the_stream_limit(peer: RawPeer, acknowledge: bool, excess: int) -> int:
  """Reads the router's SETTINGS, optionally acknowledges them, then opens `excess` streams more
  than its SETTINGS_MAX_CONCURRENT_STREAMS in one write; returns that limit."""
  frames = peer.drain(timeout=10, until=lambda f: any(k == SETTINGS for k, *_ in f))
  settings = next(p for k, flags, _, p in frames if k == SETTINGS and not flags & ACK)
  advertised = dict(struct.unpack_from(">HI", settings, i) for i in range(0, len(settings), 6))
  limit = advertised[SETTINGS_MAX_CONCURRENT_STREAMS]
  batch = frame(SETTINGS, ACK, 0) if acknowledge else b""
  for index in range(limit + excess):
    batch += frame(HEADERS, END_HEADERS, 1 + 2 * index, peer.headers_block())
  assert peer.send(batch)
  return limit


def refused(frames) -> list[int]:
  return [sid for k, _, sid, p in frames
          if k == RST_STREAM and struct.unpack(">I", p)[0] == REFUSED_STREAM]


def test_streams_past_the_advertised_limit_are_refused_while_settings_are_unacknowledged(router):
  """Before the peer acknowledges SETTINGS it may not know the limit yet: nghttp2 refuses each
  stream past it with REFUSED_STREAM (safe to retry, RFC 9113 §8.7) and keeps the connection."""
  baseline = warm_baseline(router)
  excess = 50
  with RawPeer(router.port) as peer:
    limit = open_past_the_stream_limit(peer, acknowledge=False, excess=excess)
    frames = peer.drain(timeout=30, until=lambda f: len(refused(f)) >= excess)
    assert limit == 1024
    assert sorted(refused(frames)) == [1 + 2 * i for i in range(limit, limit + excess)]
    assert goaway_code(frames) is None
    assert not peer.closed
  assert_survived(router, baseline)


def test_streams_past_the_acknowledged_limit_end_the_connection_with_protocol_error(router):
  """Once the peer acknowledged the limit, exceeding it is a connection error: nghttp2 answers
  GOAWAY(PROTOCOL_ERROR) and the router closes (RFC 9113 §5.1.2 allows this)."""
  baseline = warm_baseline(router)
  with RawPeer(router.port) as peer:
    open_past_the_stream_limit(peer, acknowledge=True, excess=50)
    frames = peer.drain(timeout=30)
    assert goaway_code(frames) == 0x1, frames[-3:]
    assert peer.closed
  assert_survived(router, baseline)


def test_connection_errors_nghttp2_answers_itself_are_logged(router):
  """A connection error nghttp2 answers on its own (a window pushed past 2^31-1 gets GOAWAY
  FLOW_CONTROL_ERROR on the wire) is logged and counted like one our code answers."""
  with RawPeer(router.port) as peer:
    peer.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 20)) * 3000)
    assert goaway_code(peer.drain(timeout=30)) == 0x3  # the positive control: it happened
  deadline = time.monotonic() + 5
  while "GOAWAY sent" not in router.log() and time.monotonic() < deadline:
    time.sleep(0.05)
  assert "GOAWAY sent: FLOW_CONTROL_ERROR" in router.log(), router.log_tail()
  assert closed_count(router, "protocol_error") == 1, router.metrics_text()


def test_length_prefix_past_the_message_limit_is_resource_exhausted_before_the_body(router):
  """A 5-byte gRPC prefix announcing 4 GiB - 1: refused from the prefix alone, nothing
  buffered for the announced size."""
  baseline = warm_baseline(router)
  with RawH2Client(router.port) as client:
    stream_id = client.start(grpc_request_headers())
    client.send(stream_id, struct.pack(">BI", 0, 0xFFFFFFFF) + b"x" * 1000)
    response = client.wait(stream_id)
  assert response.grpc_status == 8, response  # RESOURCE_EXHAUSTED
  assert response.grpc_message, response
  assert_survived(router, baseline)


def test_h2load_volume_of_connections_and_streams_is_served_and_released(router, tmp_path):
  """h2load (nghttp2's load tool) as the volume peer: 100 connections, 10 streams each at once,
  20,000 health Checks. Every one is answered, then every connection is released."""
  baseline = warm_baseline(router)
  body = tmp_path / "check.bin"
  body.write_bytes(b"\x00\x00\x00\x00\x00")  # an empty HealthCheckRequest, framed
  run = subprocess.run(
    ["h2load", "-n", "20000", "-c", "100", "-m", "10", "-t", "1", "-d", str(body),
     "-H", "content-type: application/grpc", "-H", "te: trailers",
     f"http://127.0.0.1:{router.port}/grpc.health.v1.Health/Check"],
    capture_output=True, text=True, timeout=300)
  assert run.returncode == 0, run.stdout + run.stderr
  assert re.search(r"20000 succeeded, 0 failed, 0 errored", run.stdout), run.stdout
  deadline = time.monotonic() + 30
  while router.metric("semantic_router_connections_open") > 0 and time.monotonic() < deadline:
    time.sleep(0.05)
  assert router.metric("semantic_router_connections_open") == 0
  assert_survived(router, baseline)
