"""The semantic cache shared through a real Redis (Debian's `redis-server`, started here):
two router processes behind one Envoy 1.40 (both hosts of its ext_proc cluster, picked round
robin per request) in front of stub vLLMs.

An answer stored through one router is a hit through the other; every key carries the TTL and
expires with it; `max_entries` bounds a model's entries; Redis killed under load fails no
request and the cache hits again once Redis is back; Redis stopped (slow) turns lookups into
misses within `timeout_ms`; a password-protected Redis works with `password_env`; a Redis
reached over TLS (`rediss://`) shares answers, also one that requires a client certificate
(`cert_file`/`key_file`), and one whose certificate the router's `ca_file` does not trust is a
miss, never a failed request. That the in-memory backend stays the default is checked by the
Swift configuration tests.
"""

from __future__ import annotations

import http.client
import signal
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable

import yaml

import e2e_stack
import stack
from redis_process import RedisProcess
from test_end_to_end import metric, parse_prometheus
from test_ext_proc_tls import make_certificates

MODEL = "llama-3.1-8b"


class SharedStack:
  """Two routers sharing `redis` and one Envoy whose ext_proc cluster has both as hosts."""

  def __init__(self, tmp_path: Path, backends, redis: RedisProcess, *,
               env: dict[str, str] | None = None, redis_settings: dict[str, Any] | None = None,
               **cache: Any) -> None:
    path = e2e_stack.write_router_config(
      tmp_path / "router-config.yaml", e2e_stack.endpoints_of(backends))
    config = yaml.safe_load(path.read_text())
    redis_section = {"address": f"127.0.0.1:{redis.port}", "key_prefix": "test:",
                     "timeout_ms": 50}
    redis_section.update(redis_settings or {})
    config["semantic_cache"].update({"backend": "redis", "redis": redis_section, **cache})
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    self.config = path
    self.env = env
    self.tmp_path = tmp_path
    self._exit = ExitStack()

  def __enter__(self) -> "SharedStack":
    try:
      self.routers = []
      for _ in range(2):
        router = stack.Router(config=str(self.config), env=self.env, drain_timeout=5)
        self._exit.callback(router.stop)
        router.start(timeout=60)
        self.routers.append(router)
      first, second = self.routers
      envoy_port, envoy_admin = stack.free_port(), stack.free_port()
      bootstrap = e2e_stack.envoy_bootstrap(
        self.config, listen_port=envoy_port, router_port=first.port, admin_port=envoy_admin)
      def host(port: int) -> str:
        return ("        - endpoint:\n            address:\n              socket_address: "
                f'{{ address: "127.0.0.1", port_value: {port} }}\n')

      assert bootstrap.count(host(first.port)) == 1, bootstrap
      bootstrap = bootstrap.replace(host(first.port), host(first.port) + host(second.port))
      envoy_config = self.tmp_path / "envoy.yaml"
      envoy_config.write_text(bootstrap)
      self.envoy = e2e_stack.EnvoyProcess(envoy_config, envoy_port, envoy_admin)
      self._exit.callback(self.envoy.stop)
      self.envoy.start()
    except BaseException:
      self._exit.close()
      raise
    return self

  def __exit__(self, *exc: object) -> None:
    self._exit.close()

  def ask(self, question: str, conn: http.client.HTTPConnection | None = None
          ) -> tuple[int, bool]:
    """One chat request for MODEL: (status, whether it was a cache hit)."""
    status, headers, body = e2e_stack.post_chat(
      self.envoy.port, {"model": MODEL, "messages": [{"role": "user", "content": question}]},
      conn=conn)
    return status, headers.get("x-vsr-cache-hit") == "true"

  def counter(self, router: stack.Router, name: str, **labels: str) -> float:
    return metric(parse_prometheus(router.metrics_text()), name, **labels)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
  """Polls `condition` (an event we cannot be told of) until it holds."""
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    if condition():
      return
    time.sleep(0.05)
  raise AssertionError(f"not within {timeout}s: {what}")


def stored(redis: RedisProcess, count: int = 1) -> Callable[[], bool]:
  return lambda: len(redis.keys("test:e:*")) >= count


def test_an_answer_stored_through_one_router_is_a_hit_through_the_other(
  tmp_path, backends,
) -> None:
  with RedisProcess() as redis, SharedStack(tmp_path, backends, redis.start()) as shared:
    assert shared.ask("What is the boiling point of water at sea level?") == (200, False)
    wait_until(stored(redis), "the answer stored in Redis")
    # Envoy picks the routers round robin: six asks reach both, and every one is a hit.
    answers = [shared.ask("What is the boiling point of water at sea level?")
               for _ in range(6)]
    assert answers == [(200, True)] * 6
    hits = [shared.counter(router, "semantic_router_cache_hits_total") for router in shared.routers]
    assert all(count >= 1 for count in hits), hits
    # A similar, not identical, question is found through the band index.
    assert shared.ask("what is the boiling point of water at sea level") == (200, True)
    # Every key carries the TTL.
    keys = redis.keys("test:*")
    assert any(key.startswith("test:b:") for key in keys)
    assert any(key.startswith("test:z:") for key in keys)
    for key in keys:
      ttl = int(redis.cli("TTL", key))
      assert 0 < ttl <= 600, (key, ttl)


def test_entries_expire_with_the_ttl(tmp_path, backends) -> None:
  with RedisProcess() as redis, \
      SharedStack(tmp_path, backends, redis.start(), ttl_seconds=1) as shared:
    assert shared.ask("Name the largest planet of the solar system.") == (200, False)
    wait_until(stored(redis), "the answer stored in Redis")
    assert shared.ask("Name the largest planet of the solar system.") == (200, True)
    wait_until(lambda: not redis.keys("test:*"), "every key expired")
    assert shared.ask("Name the largest planet of the solar system.") == (200, False)


def test_max_entries_bounds_a_models_entries(tmp_path, backends) -> None:
  with RedisProcess() as redis, \
      SharedStack(tmp_path, backends, redis.start(), max_entries=3) as shared:
    questions = [
      "How do volcanoes form?", "Who painted the Mona Lisa?", "Explain compound interest.",
      "What causes rainbows?", "How does a refrigerator work?", "Why do cats purr?",
    ]
    for question in questions:
      assert shared.ask(question)[0] == 200
    wait_until(lambda: len(redis.keys("test:z:*")) == 1, "the recency set written")
    recency = redis.keys("test:z:*")[0]
    # Six stored, the oldest three trimmed.
    wait_until(lambda: redis.cli("ZCARD", recency) == "3" and len(redis.keys("test:e:*")) == 3,
               "entries trimmed to max_entries")
    assert shared.ask(questions[-1]) == (200, True)


def test_redis_killed_under_load_fails_no_request_and_hits_again_once_back(
  tmp_path, backends,
) -> None:
  redis = RedisProcess()
  with ExitStack() as running:
    running.callback(redis.stop)
    redis.start()
    shared = running.enter_context(SharedStack(tmp_path, backends, redis))
    statuses: list[int] = []
    done = threading.Event()

    def load(worker: int) -> None:
      conn = http.client.HTTPConnection("127.0.0.1", shared.envoy.port, timeout=30)
      count = 0
      while not done.is_set():
        status, _ = shared.ask(f"Question {worker}-{count % 5}: how do tides work?", conn)
        statuses.append(status)
        count += 1
      conn.close()

    threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for thread in threads:
      thread.start()
    wait_until(lambda: len(statuses) >= 100, "100 requests with Redis up")
    redis.kill()
    killed_at = len(statuses)
    wait_until(lambda: len(statuses) >= killed_at + 200, "200 requests with Redis down")
    done.set()
    for thread in threads:
      thread.join(timeout=60)
    assert statuses and all(status == 200 for status in statuses), \
      {status: statuses.count(status) for status in set(statuses)}
    errors = sum(
      value for (name, _), value in parse_prometheus(shared.routers[0].metrics_text()).items()
      if name == "semantic_router_cache_backend_errors_total")
    assert errors > 0
    print(f"\n{len(statuses)} requests, {len(statuses) - killed_at} after the kill, all 200; "
          f"router 1 counted {errors:.0f} backend errors")
    for router in shared.routers:
      assert router.running()

    # Back on the same port: the routers reconnect and the cache hits again.
    redis.proc = None
    redis.start()

    def hits_again() -> bool:
      shared.ask("After the outage: what is a tide?")
      return shared.ask("After the outage: what is a tide?") == (200, True)

    wait_until(hits_again, "a hit after Redis returned")
    assert any("Redis reachable again" in router.log() for router in shared.routers)


def test_a_stopped_redis_makes_lookups_misses_within_the_timeout(tmp_path, backends) -> None:
  with RedisProcess() as redis, SharedStack(tmp_path, backends, redis.start()) as shared:
    assert shared.ask("Why is the sky blue?") == (200, False)
    wait_until(stored(redis), "the answer stored in Redis")
    redis.signal(signal.SIGSTOP)
    try:
      answers = [shared.ask("Why is the sky blue?") for _ in range(4)]
    finally:
      redis.signal(signal.SIGCONT)
    assert answers == [(200, False)] * 4
    timeouts = sum(
      shared.counter(router, "semantic_router_cache_backend_errors_total", reason="timeout")
      for router in shared.routers)
    assert timeouts >= 4
    wait_until(lambda: shared.ask("Why is the sky blue?") == (200, True), "hits after SIGCONT")


def test_a_password_protected_redis_with_password_env(tmp_path, backends) -> None:
  with RedisProcess(password="s3cret-pw") as redis, SharedStack(
      tmp_path, backends, redis.start(), env={"VSR_REDIS_PASSWORD": "s3cret-pw"},
      redis_settings={"password_env": "VSR_REDIS_PASSWORD"}) as shared:
    assert shared.ask("What is the speed of light?") == (200, False)
    wait_until(stored(redis), "the answer stored in a password-protected Redis")
    assert shared.ask("What is the speed of light?") == (200, True)


def test_a_wrong_password_is_a_miss_never_a_failed_request(tmp_path, backends) -> None:
  with RedisProcess(password="right") as redis, SharedStack(
      tmp_path, backends, redis.start(), env={"VSR_REDIS_PASSWORD": "wrong"},
      redis_settings={"password_env": "VSR_REDIS_PASSWORD"}) as shared:
    answers = [shared.ask("What is the speed of sound?") for _ in range(4)]
    assert answers == [(200, False)] * 4
    assert not redis.keys("test:*")
    errors = sum(
      value for router in shared.routers
      for (name, _), value in parse_prometheus(router.metrics_text()).items()
      if name == "semantic_router_cache_backend_errors_total")
    assert errors >= 1
    assert any("handshake refused" in router.log() for router in shared.routers)


def tls_redis(directory: Path, client_certificates: bool = False) -> RedisProcess:
  """A TLS-only Redis with a certificate for 127.0.0.1 from a fresh CA in `directory` (whose
  client certificate, `envoy.pem`, it requires with `client_certificates`)."""
  directory.mkdir()
  files = make_certificates(directory)
  client = (files["envoy.pem"], files["envoy.key"]) if client_certificates else None
  return RedisProcess(tls=(files["router.pem"], files["router.key"], files["ca.pem"]),
                      client_certificate=client)


def test_a_redis_over_tls_shares_answers(tmp_path, backends) -> None:
  with tls_redis(tmp_path / "pki") as redis, SharedStack(
      tmp_path, backends, redis.start(),
      redis_settings={"address": f"rediss://127.0.0.1:{redis.port}",
                      "tls": {"ca_file": str(redis.tls[2])}}) as shared:
    assert shared.ask("What is the tallest mountain on Earth?") == (200, False)
    wait_until(stored(redis), "the answer stored in Redis over TLS")
    assert shared.ask("What is the tallest mountain on Earth?") == (200, True)


def test_a_redis_requiring_client_certificates_gets_the_configured_one(
  tmp_path, backends,
) -> None:
  with tls_redis(tmp_path / "pki", client_certificates=True) as redis, SharedStack(
      tmp_path, backends, redis.start(),
      redis_settings={"address": f"rediss://127.0.0.1:{redis.port}",
                      "tls": {"ca_file": str(redis.tls[2]),
                              "cert_file": str(redis.client_certificate[0]),
                              "key_file": str(redis.client_certificate[1])}}) as shared:
    assert shared.ask("Who wrote the Odyssey?") == (200, False)
    wait_until(stored(redis), "the answer stored in Redis with a client certificate")
    assert shared.ask("Who wrote the Odyssey?") == (200, True)


def test_a_redis_certificate_the_ca_file_does_not_trust_is_a_miss(tmp_path, backends) -> None:
  other = tmp_path / "other-ca"
  other.mkdir()
  untrusted_ca = make_certificates(other)["ca.pem"]
  with tls_redis(tmp_path / "pki") as redis, SharedStack(
      tmp_path, backends, redis.start(),
      redis_settings={"address": f"rediss://127.0.0.1:{redis.port}",
                      "tls": {"ca_file": str(untrusted_ca)}}) as shared:
    answers = [shared.ask("What is the deepest ocean trench?") for _ in range(4)]
    assert answers == [(200, False)] * 4
    assert not redis.keys("test:*")
    errors = sum(
      value for router in shared.routers
      for (name, _), value in parse_prometheus(router.metrics_text()).items()
      if name == "semantic_router_cache_backend_errors_total")
    assert errors >= 1
    assert any("TLS handshake" in router.log() for router in shared.routers)
