"""The ext_proc listener's timeouts and descriptor limits against a running `serve`.

Slowloris clients (connect, send nothing) are closed after the configured `preface_timeout`;
with the process held to 64 descriptors, connections past what it can hold are accepted and
closed through the reserve descriptor instead of stalling in the backlog, and once some are
closed the router answers again. Each socket waits for the router's own answer (its SETTINGS or
the connection's end); the socket timeouts only guard against a hang.
"""

from __future__ import annotations

import http.client
import resource
import socket
import time
from pathlib import Path

import stack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
EMPTY_SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
GUARD_SECONDS = 10.0
CLOSED_METRIC = "semantic_router_connections_closed_total"


def write_config(name: str, server: str) -> Path:
  config = stack.scratch_dir() / name
  config.write_text(
    'models: [{ name: m, endpoints: [{ name: e, address: "http://127.0.0.1:9" }] }]\n'
    "default_model: m\n"
    f"server:\n{server}")
  return config


def connect(port: int) -> socket.socket:
  sock = socket.create_connection(("127.0.0.1", port), timeout=GUARD_SECONDS)
  sock.settimeout(GUARD_SECONDS)
  return sock


def read_until_closed(sock: socket.socket) -> bytes:
  """Everything the router sends until it closes the connection (a reset counts as closed)."""
  received = b""
  try:
    while chunk := sock.recv(65536):
      received += chunk
  except ConnectionResetError:
    pass
  return received


def frame_types(received: bytes) -> list[int]:
  """The types of the frames in `received`, in order."""
  types, offset = [], 0
  while offset + 9 <= len(received):
    types.append(received[offset + 3])
    offset += 9 + int.from_bytes(received[offset:offset + 3], "big")
  return types


def answer_or_close(sock: socket.socket) -> str:
  """"served" when the router's SETTINGS arrive, "closed" when the connection ends first."""
  try:
    header = sock.recv(9)
  except ConnectionResetError:
    return "closed"
  return "served" if header[3:4] == b"\x04" else "closed"


def wait_for_serving(router: stack.Router) -> bool:
  """Health SERVING within the guard time (each try is a new connection)."""
  deadline = time.monotonic() + GUARD_SECONDS
  while time.monotonic() < deadline:
    if stack.health_status(router.address, timeout=1.0) == "SERVING":
      return True
  return False


def test_slowloris_connections_are_closed_after_the_preface_timeout(make_router):
  config = write_config("preface-timeout.yaml", "  preface_timeout: 300ms\n")
  router = make_router(config=str(config))
  silent = [connect(router.port) for _ in range(20)]
  # One more sends half the preface and stops: not a preface either.
  partial = connect(router.port)
  partial.sendall(PREFACE[:10])
  try:
    for sock in silent + [partial]:
      types = frame_types(read_until_closed(sock))
      # The router's SETTINGS, and no GOAWAY for a peer that never spoke HTTP/2.
      assert 0x4 in types and 0x7 not in types, types
  finally:
    for sock in silent + [partial]:
      sock.close()
  assert stack.health_status(router.address) == "SERVING"
  assert router.metric(f'{CLOSED_METRIC}{{reason="preface_timeout"}}') == 21
  assert router.metric(f'{CLOSED_METRIC}{{reason="max_connections"}}') == 0


def test_descriptor_exhaustion_sheds_new_connections_and_the_router_recovers(make_router):
  router = make_router()
  descriptors = len(list(Path(f"/proc/{router.pid}/fd").iterdir()))
  limit = descriptors + 20
  resource.prlimit(router.pid, resource.RLIMIT_NOFILE, (limit, limit))
  sockets = [connect(router.port) for _ in range(60)]
  try:
    for sock in sockets:
      sock.sendall(PREFACE + EMPTY_SETTINGS)
    outcomes = [answer_or_close(sock) for sock in sockets]
    served = [sock for sock, outcome in zip(sockets, outcomes) if outcome == "served"]
    shed = outcomes.count("closed")
    print(f"{descriptors} descriptors at start, limit {limit}: "
          f"{len(served)} connections served, {shed} shed")
    # Every connection got an answer (a hang would raise socket.timeout), and past the limit
    # they were shed. (The descriptor count is a snapshot: a health check's connection from
    # start-up may still close, so the split is not exact.)
    assert shed >= 30 and len(served) >= 10
    for sock in served[:10]:
      sock.close()
    assert wait_for_serving(router), router.log_tail()
    admin = http.client.HTTPConnection("127.0.0.1", router.admin_port, timeout=GUARD_SECONDS)
    admin.request("GET", "/health")
    assert admin.getresponse().status == 200
    admin.close()
    assert router.metric(f'{CLOSED_METRIC}{{reason="emfile"}}') >= shed
    assert "accept failed" in router.log()
  finally:
    for sock in sockets:
      sock.close()
  assert router.running()
