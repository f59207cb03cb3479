"""Faults with a real Envoy 1.40 in front of the router, under h2load's load of chat completions
(4 connections, one stream each, as fast as they are answered): the router SIGKILLed and
restarted (with and without `failure_mode_allow`), Envoy killed and restarted while the router
keeps running, and the router stopped with SIGTERM while requests are in flight.

h2load logs every request it finished (start, end, status); the assertions read that log against
the moments of the fault (seconds since the epoch on both sides)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import requests

import stack
from h2load import H2Load, LoggedRequest

BODY = stack.chat_completion_body(512)
#: Long enough for a fault, a restart and a few thousand requests after it.
LOAD_SECONDS = 6


def chat_url(envoy: stack.Envoy, path: str = "/v1/chat/completions") -> str:
  return f"http://127.0.0.1:{envoy.port}{path}"


def streams_done(router: stack.Router) -> float:
  """ext_proc streams the router finished, whatever their outcome."""
  return sum(float(line.rsplit(" ", 1)[1]) for line in router.metrics_text().splitlines()
             if line.startswith("semantic_router_extproc_streams_total{"))


def wait_until(predicate, timeout: float = 30.0) -> bool:
  deadline = time.monotonic() + timeout
  while not predicate() and time.monotonic() < deadline:
    time.sleep(0.05)
  return predicate()


def wait_for_streams(router: stack.Router, count: float) -> None:
  """Waits until the router has finished `count` more ext_proc streams than now: the load runs
  through it."""
  target = streams_done(router) + count
  assert wait_until(lambda: streams_done(router) >= target), router.log_tail()


def template_with_failure_mode_allow(tmp_path: Path) -> Path:
  """The passthrough template with `failure_mode_allow: true`."""
  text = (stack.TEMPLATES / "passthrough.yaml").read_text()
  assert "failure_mode_allow: false" in text
  out = tmp_path / "passthrough.yaml"
  out.write_text(text.replace("failure_mode_allow: false", "failure_mode_allow: true"))
  return out


def kill_and_restart_router(make_router, router: stack.Router) -> tuple[float, float]:
  """SIGKILLs `router` once the load runs through it and starts a new one on its port; returns
  (kill time, time the new router was ready)."""
  wait_for_streams(router, 100)
  killed_at = time.time()
  router.signal(signal.SIGKILL)
  router.wait(timeout=10)
  make_router(port=router.port)
  return killed_at, time.time()


def test_router_killed_and_restarted_fails_only_requests_while_it_is_down(
    make_router, make_envoy, echo_backend, tmp_path):
  router = make_router()
  envoy = make_envoy(stack.TEMPLATES / "passthrough.yaml",
                     {"router_port": router.port, "backend_port": echo_backend.port})
  with H2Load(chat_url(envoy), BODY, LOAD_SECONDS, tmp_path) as load:
    killed_at, ready_at = kill_and_restart_router(make_router, router)
    requests = load.wait()
  # Every request that ended before the kill, or started after the first one answered after
  # the restart, was routed (200); only requests in flight at the kill or sent while no router
  # listened failed, with Envoy's 500 (failure_mode_allow false).
  assert [r for r in requests if r.ended < killed_at and r.status != 200] == []
  after = [r for r in requests if r.started > ready_at and r.status == 200]
  assert after, (load.output, envoy.log_tail())
  first_routed = after[0].started
  assert [r for r in requests if r.started >= first_routed and r.status != 200] == []
  assert sum(r.started >= first_routed for r in requests) >= 50, load.output
  failed = [r for r in requests if r.status != 200]
  assert {r.status for r in failed} <= {500}, failed
  assert all(killed_at - 1 < r.ended and r.started < first_routed for r in failed), failed
  print(f"\nrouter SIGKILL, failure_mode_allow false: {len(requests)} requests, "
        f"{len(failed)} failed, routed again {first_routed - ready_at:.3f}s after the restart")


def test_router_killed_and_restarted_with_failure_mode_allow_fails_no_request(
    make_router, make_envoy, echo_backend, tmp_path):
  router = make_router()
  envoy = make_envoy(template_with_failure_mode_allow(tmp_path),
                     {"router_port": router.port, "backend_port": echo_backend.port})
  with H2Load(chat_url(envoy), BODY, LOAD_SECONDS, tmp_path) as load:
    _, ready_at = kill_and_restart_router(make_router, router)
    requests = load.wait()
  assert [r for r in requests if r.status != 200] == []
  assert sum(r.started > ready_at for r in requests) >= 50, load.output
  # The positive control: the kill did break ext_proc streams, which Envoy let through.
  allowed = envoy.counters("ext_proc")["http.ingress.ext_proc.failure_mode_allowed"]
  assert allowed >= 1
  print(f"\nrouter SIGKILL, failure_mode_allow true: {len(requests)} requests, 0 failed, "
        f"{allowed} ext_proc streams failed open")


def descriptors(pid: int) -> int:
  return len(os.listdir(f"/proc/{pid}/fd"))


def sockets_on_port(pid: int, port: int) -> int:
  """The descriptors of `pid` that are TCP sockets with local port `port` (its listener and the
  connections it accepted), matched by inode in /proc/net/tcp and tcp6."""
  inodes = set()
  for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in Path(table).read_text().splitlines()[1:]:
      fields = line.split()
      if int(fields[1].rsplit(":", 1)[1], 16) == port:
        inodes.add(fields[9])
  count = 0
  for fd in os.listdir(f"/proc/{pid}/fd"):
    try:
      target = os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
      continue
    if target.startswith("socket:[") and target[8:-1] in inodes:
      count += 1
  return count


def threads(pid: int) -> int:
  for line in Path(f"/proc/{pid}/status").read_text().splitlines():
    if line.startswith("Threads:"):
      return int(line.split()[1])
  raise RuntimeError(f"no Threads for pid {pid}")


def wait_until(predicate, timeout: float = 30.0) -> bool:
  deadline = time.monotonic() + timeout
  while not predicate() and time.monotonic() < deadline:
    time.sleep(0.05)
  return predicate()


def test_envoy_killed_and_restarted_leaves_the_router_at_its_baseline(
    router, make_envoy, echo_backend, tmp_path):
  # The readiness probe's health connection closed first: only the listener is left.
  assert wait_until(lambda: sockets_on_port(router.pid, router.port) == 1)
  baseline = (descriptors(router.pid), threads(router.pid))
  values = {"router_port": router.port, "backend_port": echo_backend.port}
  for round in range(2):
    envoy = make_envoy(stack.TEMPLATES / "passthrough.yaml", values)
    directory = tmp_path / f"round{round}"
    directory.mkdir()
    with H2Load(chat_url(envoy), BODY, LOAD_SECONDS, directory) as load:
      wait_for_streams(router, 100)
      # The positive control: Envoy's connection shows in the router's descriptors.
      assert sockets_on_port(router.pid, router.port) > 1
      assert descriptors(router.pid) > baseline[0]
      loaded = (descriptors(router.pid), threads(router.pid))
      envoy.signal(signal.SIGKILL)
      envoy.wait(timeout=10)
      load.wait()
    assert wait_until(lambda: sockets_on_port(router.pid, router.port) == 1), round
    assert wait_until(lambda: (descriptors(router.pid), threads(router.pid)) == baseline), (
      round, baseline, descriptors(router.pid), threads(router.pid))
    assert router.metric("semantic_router_connections_open") == 0
    print(f"\nEnvoy SIGKILL round {round}: router descriptors/threads {baseline} at rest, "
          f"{loaded} under load, {baseline} again after the kill")
  assert stack.health_status(router.address) == "SERVING"


def ready_status(router: stack.Router) -> int | None:
  """/ready's status, or None once the admin port is gone."""
  try:
    return requests.get(f"http://127.0.0.1:{router.admin_port}/ready", timeout=2).status_code
  except requests.RequestException:
    return None


def test_sigterm_under_load_completes_every_exchange_in_flight_and_exits_zero(
    make_router, make_envoy, echo_backend, tmp_path):
  """Each request waits 300 ms at the backend, so about 16 exchanges are in flight when SIGTERM
  arrives. The drain timeout is far beyond the test: the router exits because they completed.
  Requests that reach Envoy after the router stopped listening fail at once with Envoy's 500
  (failure_mode_allow false), without reaching the backend."""
  backend_delay = 0.3
  router = make_router(drain_timeout=3600)
  envoy = make_envoy(stack.TEMPLATES / "passthrough.yaml",
                     {"router_port": router.port, "backend_port": echo_backend.port})
  with H2Load(chat_url(envoy), BODY, LOAD_SECONDS, tmp_path, clients=8, streams=2,
              headers={"x-echo-delay": str(backend_delay)}) as load:
    wait_for_streams(router, 50)
    assert ready_status(router) == 200
    signalled_at = time.time()
    router.signal(signal.SIGTERM)
    # The first answer that is not 200 (one may come before the signal is handled).
    while (ready_after_signal := ready_status(router)) == 200:
      assert time.time() < signalled_at + 10, "/ready still 200 ten seconds after SIGTERM"
    not_ready_at = time.time()
    code = router.wait(timeout=30)
    exited_at = time.time()
    requests = load.wait()
  assert code == 0, router.log_tail()
  # /ready turned 503 while the router still drained (it answered before exiting).
  assert ready_after_signal == 503, (ready_after_signal, router.log_tail())
  # Every request that reached the backend was answered 200 through the router: the 200s are
  # exactly the backend's arrivals (none was still in flight when the load ended).
  answered = [r for r in requests if r.status == 200]
  assert len(answered) == echo_backend.arrived, (len(answered), echo_backend.arrived)
  # The positive control: exchanges were in flight at the signal and completed after it.
  completed_in_drain = [r for r in answered if r.started < signalled_at < r.ended]
  assert completed_in_drain, answered[-3:]
  # Failures never reached the backend (they are faster than its delay) and came after the
  # signal.
  failed = [r for r in requests if r.status != 200]
  assert all(r.ended - r.started < backend_delay and r.ended > signalled_at for r in failed), [
    r for r in failed if r.ended - r.started >= backend_delay or r.ended <= signalled_at][:5]
  print(f"\nrouter SIGTERM under load: {len(completed_in_drain)} exchanges completed during the "
        f"drain, /ready 503 {1000 * (not_ready_at - signalled_at):.1f} ms after the signal, exit "
        f"0 after {exited_at - signalled_at:.3f}s; {len(answered)} answered 200, {len(failed)} "
        "refused after the router stopped listening")
