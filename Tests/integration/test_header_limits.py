"""Header list limits against a running `serve`, with hand-built HTTP/2 frames.

The amplification attack: one literal field with incremental indexing puts a 4,000-byte value in
the HPACK dynamic table, then one-byte references to it (0xbe, dynamic index 62) fill a HEADERS
frame and eight CONTINUATIONs (147 KB on the wire, about 570 MB once decoded). The `hpack`
package (h2's own decoder) reads the router's answers.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import hpack
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

import stack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, GOAWAY, CONTINUATION = 0x0, 0x1, 0x3, 0x4, 0x7, 0x9
END_STREAM, END_HEADERS = 0x1, 0x4
ENHANCE_YOUR_CALM = 0xB
SETTINGS_MAX_HEADER_LIST_SIZE = 0x6
MAX_FRAME = 16384
HEALTH_PATH = "/grpc.health.v1.Health/Check"
SIZE_METRIC = 'semantic_router_http2_header_limit_exceeded_total{limit="size"}'
COUNT_METRIC = 'semantic_router_http2_header_limit_exceeded_total{limit="count"}'


def frame(kind: int, flags: int, stream_id: int, payload: bytes) -> bytes:
  return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", kind, flags, stream_id) + payload


def length(value: int) -> bytes:
  """A string length as an HPACK integer with a 7-bit prefix (RFC 7541 §5.1), no Huffman."""
  if value < 127:
    return bytes([value])
  out, value = [127], value - 127
  while value >= 128:
    out.append(value % 128 + 128)
    value //= 128
  return bytes(out + [value])


def literal(name: bytes, value: bytes) -> bytes:
  """A literal field without indexing, new name."""
  return b"\x00" + length(len(name)) + name + length(len(value)) + value


def request_fields(path: str) -> bytes:
  """`:method POST`, `:scheme http`, `:path`, `:authority`, gRPC's content-type and te; nothing
  is added to the dynamic table."""
  return (bytes([0x83, 0x86, 0x04, len(path)]) + path.encode()
          + bytes([0x01, 9]) + b"127.0.0.1"
          + literal(b"content-type", b"application/grpc") + literal(b"te", b"trailers"))


def amplification_block() -> bytes:
  """Request fields, `x-a: <4,000 bytes>` added to the dynamic table, then 0xbe references up
  to nine frames' worth (4,000 in HPACK's 7-bit prefix integer: 0x7f 0xa1 0x1e)."""
  block = request_fields(HEALTH_PATH) + b"\x40\x03x-a" + length(4000) + b"a" * 4000
  return block + b"\xbe" * (9 * MAX_FRAME - len(block))


@dataclass
class Received:
  """What the router sent on one connection, by stream."""
  settings: dict[int, int] = field(default_factory=dict)
  resets: dict[int, int] = field(default_factory=dict)
  headers: dict[int, list[dict[str, str]]] = field(default_factory=dict)
  data: dict[int, bytes] = field(default_factory=dict)
  ended: set[int] = field(default_factory=set)
  goaway: bool = False
  closed: bool = False


class RawConnection:
  """A plain socket speaking h2c with prior knowledge, frame by frame."""

  def __init__(self, port: int) -> None:
    self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    self.decoder = hpack.Decoder()
    self.received = Received()
    self.buffer = b""
    self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0, b""))

  def send(self, data: bytes) -> None:
    self.sock.sendall(data)

  def send_block(self, stream_id: int, block: bytes, end_stream: bool) -> None:
    """`block` as a HEADERS frame and as many CONTINUATIONs as it needs."""
    chunks = [block[i:i + MAX_FRAME] for i in range(0, len(block), MAX_FRAME)]
    frames = b""
    for index, chunk in enumerate(chunks):
      flags = END_HEADERS if index == len(chunks) - 1 else 0
      if index == 0:
        frames += frame(HEADERS, flags | (END_STREAM if end_stream else 0), stream_id, chunk)
      else:
        frames += frame(CONTINUATION, flags, stream_id, chunk)
    self.send(frames)

  def read_until(self, done) -> Received:
    """Reads frames until `done(received)`, the connection closes or 30 s pass (a guard against
    hanging, not a measurement)."""
    while not done(self.received) and not self.received.closed:
      try:
        chunk = self.sock.recv(65536)
      except socket.timeout:
        break
      if not chunk:
        self.received.closed = True
        break
      self.buffer += chunk
      self._parse()
    return self.received

  def _parse(self) -> None:
    while len(self.buffer) >= 9:
      length = int.from_bytes(self.buffer[:3], "big")
      if len(self.buffer) < 9 + length:
        return
      kind, flags, stream_id = struct.unpack(">BBI", self.buffer[3:9])
      stream_id &= 0x7FFFFFFF
      payload, self.buffer = self.buffer[9:9 + length], self.buffer[9 + length:]
      if kind == SETTINGS and not flags & 0x1:
        for offset in range(0, len(payload), 6):
          key, value = struct.unpack(">HI", payload[offset:offset + 6])
          self.received.settings[key] = value
        self.send(frame(SETTINGS, 0x1, 0, b""))
      elif kind == RST_STREAM:
        self.received.resets[stream_id] = struct.unpack(">I", payload)[0]
      elif kind == HEADERS:
        # nghttp2 sends neither padding nor priority, and small blocks in one frame.
        fields = dict(self.decoder.decode(payload))
        self.received.headers.setdefault(stream_id, []).append(fields)
      elif kind == DATA:
        self.received.data[stream_id] = self.received.data.get(stream_id, b"") + payload
      elif kind == GOAWAY:
        self.received.goaway = True
      if kind in (DATA, HEADERS) and flags & END_STREAM:
        self.received.ended.add(stream_id)

  def health_check(self, stream_id: int) -> None:
    """A gRPC health Check (empty request message) on `stream_id`."""
    self.send_block(stream_id, request_fields(HEALTH_PATH), end_stream=False)
    self.send(frame(DATA, END_STREAM, stream_id, b"\x00\x00\x00\x00\x00"))

  def close(self) -> None:
    self.sock.close()


def cpu_seconds(pid: int) -> float:
  """utime + stime of the process, from /proc/PID/stat."""
  fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
  return (int(fields[11]) + int(fields[12])) / 100.0


def test_amplified_header_blocks_reset_their_streams_and_cost_no_memory(router):
  assert stack.health_status(router.address) == "SERVING"
  rss_before = router.rss_kib()
  cpu_before = cpu_seconds(router.pid)
  connection = RawConnection(router.port)
  try:
    # Three attack streams on one connection (1.75 GB before the limit), then a normal call.
    for stream_id in (1, 3, 5):
      connection.send_block(stream_id, amplification_block(), end_stream=True)
    connection.health_check(7)
    received = connection.read_until(lambda r: 7 in r.ended)
  finally:
    connection.close()
  rss_after = router.rss_kib()
  cpu_used = cpu_seconds(router.pid) - cpu_before
  print(f"router RSS {rss_before} KiB before, {rss_after} KiB after three amplified blocks; "
        f"CPU {cpu_used:.2f} s for them")

  assert received.settings.get(SETTINGS_MAX_HEADER_LIST_SIZE) == 60 * 1024
  assert received.resets == {1: ENHANCE_YOUR_CALM, 3: ENHANCE_YOUR_CALM, 5: ENHANCE_YOUR_CALM}
  assert not received.goaway and not received.closed
  # The call after them on the same connection is answered: SERVING (1) in the message.
  assert 7 in received.ended
  assert received.headers[7][0][":status"] == "200"
  assert received.data[7] == b"\x00\x00\x00\x00\x02\x08\x01"
  assert received.headers[7][-1]["grpc-status"] == "0"
  assert rss_after - rss_before < 50 * 1024
  assert router.metric(SIZE_METRIC) == 3
  assert router.metric(COUNT_METRIC) == 0
  assert stack.health_status(router.address) == "SERVING"
  assert router.log().count("header list larger than 61440 bytes") == 1


def test_server_section_of_the_config_sets_the_limits_serve_enforces(make_router):
  config = stack.scratch_dir() / "header-limits.yaml"
  config.write_text(
    'models: [{ name: m, endpoints: [{ name: e, address: "http://127.0.0.1:9" }] }]\n'
    "default_model: m\n"
    "server:\n  max_header_list_bytes: 2048\n  max_header_count: 12\n")
  router = make_router(config=str(config))
  connection = RawConnection(router.port)
  try:
    many = request_fields(HEALTH_PATH) + literal(b"x-n", b"v") * 20
    connection.send_block(1, many, end_stream=True)
    # Four 400-byte fields pass 2,048 bytes before the count limit is reached.
    large = request_fields(HEALTH_PATH) + literal(b"x-big", b"b" * 400) * 8
    connection.send_block(3, large, end_stream=True)
    connection.health_check(5)
    received = connection.read_until(lambda r: 5 in r.ended)
  finally:
    connection.close()
  assert received.settings.get(SETTINGS_MAX_HEADER_LIST_SIZE) == 2048
  assert received.resets == {1: ENHANCE_YOUR_CALM, 3: ENHANCE_YOUR_CALM}
  assert received.headers[5][-1]["grpc-status"] == "0"
  assert router.metric(COUNT_METRIC) == 1
  assert router.metric(SIZE_METRIC) == 1


def test_grpcio_metadata_past_either_limit_fails_with_resource_exhausted(router):
  """ENHANCE_YOUR_CALM is what gRPC's own client turns into RESOURCE_EXHAUSTED."""
  with grpc.insecure_channel(router.address) as channel:
    stub = health_pb2_grpc.HealthStub(channel)
    # 62,000 bytes: past 60 KiB, below the 64 KiB nghttp2 allows for one field.
    for metadata in ([("x-big", "a" * 62000)], [(f"x-{i}", "v") for i in range(150)]):
      with pytest.raises(grpc.RpcError) as error:
        stub.Check(health_pb2.HealthCheckRequest(), metadata=metadata, timeout=10)
      assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert stub.Check(health_pb2.HealthCheckRequest(), timeout=10).status == 1  # SERVING
  assert router.metric(SIZE_METRIC) == 1
  assert router.metric(COUNT_METRIC) == 1
