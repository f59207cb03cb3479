"""Faults with a real Envoy 1.40 in front of the router, under a light load of chat completions:
the router SIGKILLed and restarted (with and without `failure_mode_allow`), and Envoy killed and
restarted while the router keeps running."""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

import stack

BODY = stack.chat_completion_body(512)
JSON_HEADERS = {"content-type": "application/json"}
CLIENTS = 2


@dataclass
class Outcome:
  """One request of the load: when it started and ended, its status, whether it was routed."""
  started: float
  ended: float
  status: int
  routed: bool


@dataclass
class Load:
  """`CLIENTS` threads posting chat completions one after another until stopped."""
  url: str
  outcomes: list[Outcome] = field(default_factory=list)
  stopping: threading.Event = field(default_factory=threading.Event)
  lock: threading.Lock = field(default_factory=threading.Lock)

  def __post_init__(self) -> None:
    self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(CLIENTS)]

  def _run(self) -> None:
    with requests.Session() as session:
      while not self.stopping.is_set():
        started = time.monotonic()
        try:
          response = session.post(self.url, data=BODY, headers=JSON_HEADERS, timeout=30)
          status = response.status_code
          routed = status == 200 and response.json()["headers"].get("x-extproc") == [
            "semantic-router"]
        except requests.RequestException:
          status, routed = 0, False
        with self.lock:
          self.outcomes.append(Outcome(started, time.monotonic(), status, routed))

  def snapshot(self) -> list[Outcome]:
    with self.lock:
      return list(self.outcomes)

  def wait_for(self, predicate, timeout: float = 30.0) -> bool:
    """Polls the outcomes until `predicate(outcomes)` holds or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
      if predicate(self.snapshot()):
        return True
      time.sleep(0.01)
    return predicate(self.snapshot())

  def __enter__(self) -> "Load":
    for thread in self.threads:
      thread.start()
    return self

  def __exit__(self, *exc) -> None:
    self.stopping.set()
    for thread in self.threads:
      thread.join(timeout=60)


def template_with_failure_mode_allow(tmp_path: Path) -> Path:
  """The passthrough template with `failure_mode_allow: true`."""
  text = (stack.TEMPLATES / "passthrough.yaml").read_text()
  assert "failure_mode_allow: false" in text
  out = tmp_path / "passthrough.yaml"
  out.write_text(text.replace("failure_mode_allow: false", "failure_mode_allow: true"))
  return out


def kill_and_restart_router(make_router, router: stack.Router, load: Load) -> tuple[float, float]:
  """SIGKILLs `router` under `load`, starts a new one on its port; returns (kill time, time the
  new router was ready)."""
  assert load.wait_for(lambda o: sum(x.routed for x in o) >= 20), load.snapshot()[-3:]
  killed_at = time.monotonic()
  router.signal(signal.SIGKILL)
  router.wait(timeout=10)
  make_router(port=router.port)
  return killed_at, time.monotonic()


def test_router_killed_and_restarted_fails_only_requests_while_it_is_down(
    make_router, make_envoy, echo_backend):
  router = make_router()
  envoy = make_envoy(stack.TEMPLATES / "passthrough.yaml",
                     {"router_port": router.port, "backend_port": echo_backend.port})
  with Load(f"http://127.0.0.1:{envoy.port}/v1/chat/completions") as load:
    killed_at, ready_at = kill_and_restart_router(make_router, router, load)
    # Routed again once the new router is up: poll for it, then for more routed requests.
    assert load.wait_for(lambda o: any(x.routed and x.started > ready_at for x in o)), (
      load.snapshot()[-5:], envoy.log_tail())
    first_routed = min(x.ended for x in load.snapshot() if x.routed and x.started > ready_at)
    assert load.wait_for(lambda o: sum(x.routed and x.started > first_routed for x in o) >= 50)
  outcomes = load.snapshot()
  # Every request that ended before the kill, or started after the first routed one following
  # the restart, was routed; only requests in flight at the kill or sent while no router
  # listened failed (Envoy's 500, failure_mode_allow false).
  assert all(x.routed for x in outcomes if x.ended < killed_at), outcomes
  assert all(x.routed for x in outcomes if x.started > first_routed), [
    x for x in outcomes if x.started > first_routed and not x.routed]
  failed = [x for x in outcomes if not x.routed]
  assert all(x.status == 500 for x in failed), failed
  print(f"\nrouter SIGKILL, failure_mode_allow false: {len(outcomes)} requests, "
        f"{len(failed)} failed, routed again {first_routed - ready_at:.3f}s after the restart")


def test_router_killed_and_restarted_with_failure_mode_allow_fails_no_request(
    make_router, make_envoy, echo_backend, tmp_path):
  router = make_router()
  envoy = make_envoy(template_with_failure_mode_allow(tmp_path),
                     {"router_port": router.port, "backend_port": echo_backend.port})
  with Load(f"http://127.0.0.1:{envoy.port}/v1/chat/completions") as load:
    _, ready_at = kill_and_restart_router(make_router, router, load)
    assert load.wait_for(lambda o: sum(x.routed and x.started > ready_at for x in o) >= 20), (
      load.snapshot()[-5:], envoy.log_tail())
  outcomes = load.snapshot()
  assert [x for x in outcomes if x.status != 200] == []
  # The positive control: the kill did break ext_proc streams, which Envoy let through.
  allowed = envoy.counters("ext_proc")["http.ingress.ext_proc.failure_mode_allowed"]
  assert allowed >= 1
  print(f"\nrouter SIGKILL, failure_mode_allow true: {len(outcomes)} requests, 0 failed, "
        f"{allowed} ext_proc streams failed open, {sum(not x.routed for x in outcomes)} "
        "answered without the router's header")


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
    router, make_envoy, echo_backend):
  # The readiness probe's health connection closed first: only the listener is left.
  assert wait_until(lambda: sockets_on_port(router.pid, router.port) == 1)
  baseline = (descriptors(router.pid), threads(router.pid))
  values = {"router_port": router.port, "backend_port": echo_backend.port}
  for round in range(2):
    envoy = make_envoy(stack.TEMPLATES / "passthrough.yaml", values)
    with Load(f"http://127.0.0.1:{envoy.port}/v1/chat/completions") as load:
      assert load.wait_for(lambda o: sum(x.routed for x in o) >= 20), load.snapshot()[-3:]
      # The positive control: Envoy's connection shows in the router's descriptors.
      assert sockets_on_port(router.pid, router.port) > 1
      assert descriptors(router.pid) > baseline[0]
      loaded = (descriptors(router.pid), threads(router.pid))
      envoy.signal(signal.SIGKILL)
      envoy.wait(timeout=10)
    assert wait_until(lambda: sockets_on_port(router.pid, router.port) == 1), round
    assert wait_until(lambda: (descriptors(router.pid), threads(router.pid)) == baseline), (
      round, baseline, descriptors(router.pid), threads(router.pid))
    assert router.metric("semantic_router_connections_open") == 0
    print(f"\nEnvoy SIGKILL round {round}: router descriptors/threads {baseline} at rest, "
          f"{loaded} under load, {baseline} again after the kill")
  assert stack.health_status(router.address) == "SERVING"
