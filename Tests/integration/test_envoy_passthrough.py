"""A real Envoy 1.40 with the ext_proc filter (BUFFERED bodies, failure_mode_allow false) calling
the router, in front of the echo backend."""

from __future__ import annotations

import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

import stack

BODY = stack.chat_completion_body(2048)
JSON_HEADERS = {"content-type": "application/json"}


def post(session: requests.Session, url: str) -> tuple[int, dict | str]:
  response = session.post(url, data=BODY, headers=JSON_HEADERS, timeout=30)
  try:
    return response.status_code, response.json()
  except ValueError:
    return response.status_code, response.text


def post_once(url: str) -> tuple[int, dict | str]:
  with requests.Session() as session:
    return post(session, url)


def test_template_is_valid_envoy_config():
  values = {"listen_port": 18000, "admin_port": 18001, "router_port": 50051,
            "backend_port": 18002}
  with tempfile.TemporaryDirectory() as directory:
    config = stack.render_template(stack.TEMPLATES / "passthrough.yaml", values, Path(directory))
    result = stack.validate_envoy_config(config)
  assert result.returncode == 0, result.stdout + result.stderr


def test_thousand_requests_all_carry_router_header(router, echo_backend, envoy):
  url = f"http://127.0.0.1:{envoy.port}/v1/chat/completions"

  def worker(count: int) -> list[tuple[int, dict | str]]:
    with requests.Session() as session:
      return [post(session, url) for _ in range(count)]

  with ThreadPoolExecutor(max_workers=4) as pool:
    results = [r for batch in pool.map(worker, [250] * 4) for r in batch]

  assert len(results) == 1000
  failures = [r for r in results if r[0] != 200]
  assert not failures, f"{len(failures)} failed, first: {failures[0]}\n{router.log_tail()}"
  for _, echoed in results:
    assert echoed["headers"].get("x-extproc") == ["semantic-router"], echoed
    assert echoed["body_length"] == len(BODY)
    assert echoed["path"] == "/v1/chat/completions"
  assert len(echo_backend.seen) == 1000
  counters = envoy.counters("ext_proc")
  assert counters["http.ingress.ext_proc.streams_started"] == 1000
  assert counters["http.ingress.ext_proc.streams_failed"] == 0
  assert counters["http.ingress.ext_proc.spurious_msgs_received"] == 0
  assert counters["http.ingress.ext_proc.message_timeouts"] == 0
  # Four messages per request: request headers and body, response headers and body.
  assert counters["http.ingress.ext_proc.stream_msgs_sent"] == 4000
  assert counters["http.ingress.ext_proc.stream_msgs_received"] == 4000
  assert router.running(), router.log_tail()


def test_get_without_body_passes_through(router, echo_backend, envoy):
  response = requests.get(f"http://127.0.0.1:{envoy.port}/models", timeout=10)
  assert response.status_code == 200, response.text
  echoed = response.json()
  assert echoed["method"] == "GET"
  assert echoed["headers"].get("x-extproc") == ["semantic-router"]
  assert echoed["body_length"] == 0


def test_requests_in_flight_complete_after_sigterm(make_router, make_envoy, echo_backend):
  # A drain timeout far beyond the test: the router exits because the requests completed.
  router = make_router(drain_timeout=3600)
  envoy = make_envoy(stack.TEMPLATES / "passthrough.yaml",
                     {"router_port": router.port, "backend_port": echo_backend.port})
  url = f"http://127.0.0.1:{envoy.port}/slow/v1/chat/completions"
  in_flight = 5

  with ThreadPoolExecutor(max_workers=in_flight) as pool:
    futures = [pool.submit(post_once, url) for _ in range(in_flight)]
    deadline = time.monotonic() + 30
    while echo_backend.arrived < in_flight and time.monotonic() < deadline:
      time.sleep(0.01)
    assert echo_backend.arrived == in_flight, "slow requests did not reach the backend"
    # Each request's ext_proc stream is open now: its response headers and body still have to
    # go through the router.
    router.signal(signal.SIGTERM)
    results = [future.result(timeout=30) for future in futures]

  for status, echoed in results:
    assert status == 200, f"{status} {echoed}\n{router.log_tail()}"
    assert echoed["headers"].get("x-extproc") == ["semantic-router"]
  try:
    code = router.wait(timeout=60)
  except subprocess.TimeoutExpired:
    raise AssertionError(f"router still running after its streams ended\n{router.log_tail()}")
  assert code == 0, router.log_tail()
  counters = envoy.counters("ext_proc")
  assert counters["http.ingress.ext_proc.streams_failed"] == 0
