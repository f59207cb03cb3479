"""The router's admin HTTP server: /health, /ready (and not ready while draining), /metrics in
the Prometheus text format counting what the router did."""
from __future__ import annotations

import http.client
import signal
import socket
import threading
import time
from pathlib import Path

import grpc
from envoy.config.core.v3 import base_pb2
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep
from envoy.service.ext_proc.v3 import external_processor_pb2_grpc as ep_grpc

import stack

CONFIG = str(Path(__file__).resolve().parents[2] / "deploy/router-config.yaml")


def get(router: stack.Router, path: str, method: str = "GET") -> tuple[int, str, str]:
  conn = http.client.HTTPConnection("127.0.0.1", router.admin_port, timeout=5)
  try:
    conn.request(method, path)
    response = conn.getresponse()
    return response.status, response.getheader("content-type", ""), response.read().decode()
  finally:
    conn.close()


def metric(text: str, line_prefix: str) -> float:
  for line in text.splitlines():
    if line.startswith(line_prefix + " "):
      return float(line.rsplit(" ", 1)[1])
  raise AssertionError(f"no sample {line_prefix!r} in:\n{text}")


def routed_exchange(router: stack.Router, question: str) -> ep.ProcessingResponse:
  """Request headers and a chat body for `question`; returns the body response."""
  def header(key: str, value: str) -> base_pb2.HeaderValue:
    return base_pb2.HeaderValue(key=key, raw_value=value.encode())
  body = ('{"model":"auto","messages":[{"role":"user","content":"%s"}]}' % question).encode()
  messages = [
    ep.ProcessingRequest(request_headers=ep.HttpHeaders(headers=base_pb2.HeaderMap(headers=[
      header(":method", "POST"), header(":path", "/v1/chat/completions"),
      header("content-type", "application/json"), header("content-length", str(len(body)))]))),
    ep.ProcessingRequest(request_body=ep.HttpBody(body=body, end_of_stream=True)),
  ]
  with grpc.insecure_channel(router.address) as channel:
    responses = list(ep_grpc.ExternalProcessorStub(channel).Process(iter(messages), timeout=10))
  assert len(responses) == 2
  return responses[1]


def test_health_and_ready_answer(make_router):
  router = make_router(config=CONFIG)
  assert get(router, "/health")[0] == 200
  assert get(router, "/ready")[:1] == (200,)
  assert get(router, "/nope")[0] == 404
  assert get(router, "/health", method="POST")[0] == 405


def test_metrics_count_routed_requests_by_category_and_model(make_router):
  router = make_router(config=CONFIG)
  for _ in range(3):
    routed_exchange(router, "What is the derivative of x squared?")
  status, content_type, text = get(router, "/metrics")
  assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
  # The streams end without response messages (Envoy was not there): counted as cancelled or
  # completed, but always with the routing labels.
  routed = sum(
    float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
    if line.startswith('semantic_router_requests_total{category="math",model="llama-3.1-70b"'))
  assert routed == 3
  assert metric(text, "semantic_router_classification_duration_seconds_count") == 3
  assert metric(text, "semantic_router_cache_misses_total") == 3
  assert metric(text, 'semantic_router_extproc_streams_total{outcome="completed"}') == 3
  assert metric(text, "semantic_router_extproc_message_duration_seconds_count") == 6


def test_not_ready_while_draining(make_router):
  # Hold a stream open (never half-closed) so the drain lasts until it is released: the drain
  # timeout is far beyond the test.
  router = make_router(config=CONFIG, drain_timeout=3600)
  release = threading.Event()

  def open_stream():
    yield ep.ProcessingRequest(request_headers=ep.HttpHeaders())
    release.wait(60)

  channel = grpc.insecure_channel(router.address)
  stream = ep_grpc.ExternalProcessorStub(channel).Process(open_stream(), timeout=10)
  next(stream)  # the headers answer: the stream is open on the server
  router.signal(signal.SIGTERM)
  deadline = time.monotonic() + 30
  status = None
  while time.monotonic() < deadline:
    try:
      status = get(router, "/ready")[0]
    except OSError:
      break
    if status == 503:
      break
    time.sleep(0.05)
  assert status == 503
  release.set()
  stream.cancel()
  channel.close()
  assert router.wait(60) == 0


ADMIN_MAX_CONNECTIONS = 64  # HTTP1Server.Configuration's default, which serve uses
ADMIN_PRIORITY_RESERVE = 8


def test_health_answers_while_idle_connections_hold_every_admin_slot(make_router):
  router = make_router()
  # More idle connections (never sending a byte) than the limit and the health reserve hold.
  extra = 20
  held = [socket.create_connection(("127.0.0.1", router.admin_port), timeout=5)
          for _ in range(ADMIN_MAX_CONNECTIONS + ADMIN_PRIORITY_RESERVE + extra)]
  try:
    # Accepted after all of them: each probe pushes out the oldest silent reserve connection.
    assert get(router, "/health")[:1] == (200,)
    assert get(router, "/ready")[:1] == (200,)
  finally:
    for connection in held:
      connection.close()
  # /metrics itself needs a slot within the limit: wait until the closes are seen.
  answered_503 = 0
  deadline = time.monotonic() + 10
  while True:
    status, _, text = get(router, "/metrics")
    if status == 200:
      break
    assert status == 503 and time.monotonic() < deadline, (status, text)
    answered_503 += 1
  # Positive control: the limit was reached (each connection past the reserve, and the first
  # probe, closed a silent one), so the probes above were answered past it.
  refused = metric(text, "semantic_router_admin_connections_refused_total")
  assert refused >= extra + 1 + answered_503, text
  # Closed unanswered: logged once per interval at most, the rest counted as suppressed.
  lines = [line for line in router.log().splitlines() if "connection limit reached" in line]
  suppressed = metric(
    text, 'semantic_router_log_lines_suppressed_total{kind="admin.connection_refused"}')
  assert 1 <= len(lines) <= 2, router.log_tail()
  assert len(lines) + suppressed == refused - answered_503, text
