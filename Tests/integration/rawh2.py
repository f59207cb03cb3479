"""A raw HTTP/2 (h2c, prior knowledge) client on the `h2` package, for what grpcio cannot send.

grpcio always frames messages correctly, sends its own content-type and enforces deadlines on the
client side; these tests need to send a wrong content-type, a set compressed flag, a message split
into tiny DATA frames, or a `grpc-timeout` that only the server can act on.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events

PROCESS_PATH = "/envoy.service.ext_proc.v3.ExternalProcessor/Process"


def grpc_frame(payload: bytes, compressed: bool = False) -> bytes:
  """One length-prefixed gRPC message."""
  return struct.pack(">BI", 1 if compressed else 0, len(payload)) + payload


def grpc_messages(data: bytes) -> list[bytes]:
  """Splits a response body into its gRPC messages; raises on a truncated or compressed one."""
  messages = []
  offset = 0
  while offset < len(data):
    flag, length = struct.unpack_from(">BI", data, offset)
    if flag != 0:
      raise ValueError(f"compressed flag {flag} in a response message")
    offset += 5
    if offset + length > len(data):
      raise ValueError("truncated gRPC message")
    messages.append(data[offset:offset + length])
    offset += length
  return messages


def grpc_request_headers(path: str = PROCESS_PATH, content_type: str = "application/grpc",
                         extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
  """The request headers a gRPC client sends for `path`."""
  return [(":method", "POST"), (":scheme", "http"), (":authority", "127.0.0.1"),
          (":path", path), ("content-type", content_type), ("te", "trailers"),
          *(extra or [])]


@dataclass
class RawResponse:
  """What came back on one stream."""
  headers: dict[str, str] = field(default_factory=dict)
  data: bytes = b""
  trailers: dict[str, str] = field(default_factory=dict)
  ended: bool = False
  reset_code: int | None = None
  connection_terminated: bool = False

  @property
  def status(self) -> int | None:
    value = self.headers.get(":status")
    return int(value) if value is not None else None

  @property
  def grpc_status(self) -> int | None:
    """`grpc-status` from the trailers, or from the headers of a Trailers-Only answer."""
    value = self.trailers.get("grpc-status", self.headers.get("grpc-status"))
    return int(value) if value is not None else None

  @property
  def grpc_message(self) -> str | None:
    return self.trailers.get("grpc-message", self.headers.get("grpc-message"))


class RawH2Client:
  """One h2c connection. Not thread-safe; use as a context manager."""

  def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0) -> None:
    self.sock = socket.create_connection((host, port), timeout=timeout)
    self.conn = h2.connection.H2Connection(
      config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    self.conn.initiate_connection()
    self.responses: dict[int, RawResponse] = {}
    self._flush()

  def _flush(self) -> None:
    data = self.conn.data_to_send()
    if data:
      self.sock.sendall(data)

  def start(self, headers: list[tuple[str, str]], end_stream: bool = False) -> int:
    """Opens a stream with `headers`; returns its id."""
    stream_id = self.conn.get_next_available_stream_id()
    self.responses[stream_id] = RawResponse()
    self.conn.send_headers(stream_id, headers, end_stream=end_stream)
    self._flush()
    return stream_id

  def send(self, stream_id: int, data: bytes, end_stream: bool = False) -> None:
    """Sends `data` as a single DATA frame (the caller keeps it within the peer's limits)."""
    self.conn.send_data(stream_id, data, end_stream=end_stream)
    self._flush()

  def end(self, stream_id: int) -> None:
    self.conn.end_stream(stream_id)
    self._flush()

  def wait(self, stream_id: int, timeout: float = 10.0) -> RawResponse:
    """Reads until the stream ended or was reset, or `timeout` passed; returns what arrived."""
    response = self.responses[stream_id]
    deadline = time.monotonic() + timeout
    while not (response.ended or response.reset_code is not None
               or response.connection_terminated):
      remaining = deadline - time.monotonic()
      if remaining <= 0:
        break
      self.sock.settimeout(remaining)
      try:
        chunk = self.sock.recv(65536)
      except socket.timeout:
        break
      if not chunk:
        for pending in self.responses.values():
          pending.connection_terminated = True
        break
      self._handle(self.conn.receive_data(chunk))
      self._flush()
    return response

  def _handle(self, events) -> None:
    for event in events:
      response = self.responses.get(getattr(event, "stream_id", None) or -1)
      if isinstance(event, h2.events.ResponseReceived) and response:
        response.headers = dict(event.headers)
      elif isinstance(event, h2.events.DataReceived) and response:
        response.data += event.data
        self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
      elif isinstance(event, h2.events.TrailersReceived) and response:
        response.trailers = dict(event.headers)
      elif isinstance(event, h2.events.StreamEnded) and response:
        response.ended = True
      elif isinstance(event, h2.events.StreamReset) and response:
        response.reset_code = int(event.error_code)
      elif isinstance(event, h2.events.ConnectionTerminated):
        for pending in self.responses.values():
          pending.connection_terminated = True

  def close(self) -> None:
    try:
      self.conn.close_connection()
      self._flush()
    except OSError:
      pass
    self.sock.close()

  def __enter__(self) -> "RawH2Client":
    return self

  def __exit__(self, *exc) -> None:
    self.close()
