"""Config hot reload of `serve --config`: `POST /reload` at the admin port, SIGHUP, and changes
of the file (written in place, or swapped the way a Kubernetes ConfigMap volume swaps its
`..data` symlink); an invalid file refused with its issues while the running config keeps
routing; and 25 reloads under h2load through a real Envoy 1.40, dropping no request, each
request routed by the config in force when it ran.

Two configs route the math category differently: A sends it to `math-model`, B to
`chat-model`. An "auto" math question answered by the echo backend shows the routed model in
the `x-selected-model` header the router set upstream."""

from __future__ import annotations

import http.client
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack  # noqa: E402
import tracing_stack as ts  # noqa: E402
from h2load import H2Load  # noqa: E402

#: h2load's run in the reload test: longer than its 25 reloads take.
LOAD_SECONDS = 20
#: The model each config routes math questions to.
MATH_MODEL = {"A": "math-model", "B": "chat-model"}


def config_text(backend_url: str, variant: str, directory: Path) -> str:
  """Config A or B as text (JSON, which is YAML): both models on the echo backend, no cache
  (every request reaches the backend) and no tracing."""
  path = ts.write_router_config(
    directory, {"math-model": backend_url, "chat-model": backend_url}, {"enabled": False})
  config = json.loads(path.read_text())
  config["semantic_cache"] = {"enabled": False}
  if variant == "B":
    config["models"][0]["category"], config["models"][1]["category"] = ["general"], ["math"]
  return json.dumps(config, indent=2)


#: A file the parser refuses: an unknown key, reported with its line.
INVALID = '{\n  "models": [],\n  "no_such_key": 1\n}\n'


def admin(router: stack.Router, method: str, path: str) -> tuple[int, str]:
  conn = http.client.HTTPConnection("127.0.0.1", router.admin_port, timeout=30)
  try:
    conn.request(method, path)
    response = conn.getresponse()
    return response.status, response.read().decode()
  finally:
    conn.close()


def reload(router: stack.Router) -> tuple[int, dict]:
  status, body = admin(router, "POST", "/reload")
  return status, json.loads(body)


def generation(router: stack.Router) -> float:
  return router.metric("semantic_router_config_generation")


def wait_for_generation(router: stack.Router, expected: int) -> None:
  deadline = time.monotonic() + 15
  while generation(router) < expected:
    assert time.monotonic() < deadline, router.log_tail()
    time.sleep(0.05)
  assert generation(router) == expected


def routed_model(envoy_port: int) -> str:
  reply = ts.post(envoy_port, ts.math_question())
  assert reply.status == 200, reply.body
  return reply.json()["headers"]["x-selected-model"][0]


@pytest.fixture
def config_file(tmp_path, echo_backend) -> tuple[Path, dict[str, str]]:
  """The config path (holding A) and the texts of A and B."""
  url = f"http://127.0.0.1:{echo_backend.port}"
  for variant in "AB":
    (tmp_path / variant).mkdir()
  texts = {variant: config_text(url, variant, tmp_path / variant) for variant in "AB"}
  path = tmp_path / "router-config.yaml"
  path.write_text(texts["A"])
  return path, texts


def test_post_reload_answers_json_and_the_new_config_routes(make_router, config_file, tmp_path):
  path, texts = config_file
  router = make_router(config=str(path), extra_args=["--no-watch-config"])
  envoy = ts.envoy_for(path, router.port, tmp_path).start()
  try:
    assert routed_model(envoy.port) == "math-model"
    digest_a = admin(router, "GET", "/ready")[1].split("digest=")[1].strip()
    path.write_text(texts["B"])
    status, result = reload(router)
    assert status == 200, result
    assert result["result"] == "reloaded" and result["generation"] == 2, result
    assert result["digest"] != digest_a and result["needs_restart"] == []
    assert routed_model(envoy.port) == "chat-model"
    assert admin(router, "GET", "/ready") == (
      200, f"ready generation=2 digest={result['digest']}\n")
    assert router.metric('semantic_router_config_reloads_total{result="reloaded"}') == 1
    assert router.metric(
      f'semantic_router_config_info{{generation="2",digest="{result["digest"]}"}}') == 1
  finally:
    envoy.stop()


def test_invalid_file_is_refused_with_its_issues_and_the_running_config_keeps_routing(
    make_router, config_file, tmp_path):
  path, _ = config_file
  router = make_router(config=str(path), extra_args=["--no-watch-config"])
  envoy = ts.envoy_for(path, router.port, tmp_path).start()
  try:
    path.write_text(INVALID)
    status, result = reload(router)
    assert status == 422, result
    assert result["result"] == "invalid" and result["generation"] == 1
    assert any("no_such_key" in issue and "line 3" in issue for issue in result["issues"]), result
    assert "config reload refused" in router.log()
    assert router.metric('semantic_router_config_reloads_total{result="invalid"}') == 1
    assert routed_model(envoy.port) == "math-model"
  finally:
    envoy.stop()


def test_sighup_reloads(make_router, config_file):
  path, texts = config_file
  router = make_router(config=str(path), extra_args=["--no-watch-config"])
  path.write_text(texts["B"])
  router.signal(signal.SIGHUP)
  wait_for_generation(router, 2)
  assert "trigger=SIGHUP" in router.log()
  assert router.running()


def test_file_written_in_place_is_reloaded(make_router, config_file):
  path, texts = config_file
  router = make_router(config=str(path))
  path.write_text(texts["B"])
  wait_for_generation(router, 2)
  assert "trigger=file" in router.log()


def test_kubernetes_configmap_swap_is_reloaded(make_router, config_file, tmp_path):
  """A ConfigMap volume: `router-config.yaml -> ..data/router-config.yaml`, `..data -> ..<ts>`;
  kubelet writes a new timestamped folder and renames a new `..data` link over the old one."""
  _, texts = config_file
  volume = tmp_path / "volume"
  volume.mkdir()
  (volume / "..2026_12_07_a").mkdir()
  (volume / "..2026_12_07_a" / "router-config.yaml").write_text(texts["A"])
  os.symlink("..2026_12_07_a", volume / "..data")
  os.symlink("..data/router-config.yaml", volume / "router-config.yaml")
  router = make_router(config=str(volume / "router-config.yaml"))
  (volume / "..2026_12_07_b").mkdir()
  (volume / "..2026_12_07_b" / "router-config.yaml").write_text(texts["B"])
  os.symlink("..2026_12_07_b", volume / "..data_tmp")
  os.rename(volume / "..data_tmp", volume / "..data")
  wait_for_generation(router, 2)
  assert "trigger=file" in router.log()


def test_a_change_to_server_settings_is_kept_for_the_restart(make_router, config_file):
  path, texts = config_file
  router = make_router(config=str(path), extra_args=["--no-watch-config"])
  config = json.loads(texts["B"])
  config["server"] = {"max_connections": 7}
  path.write_text(json.dumps(config))
  status, result = reload(router)
  assert status == 200 and result["needs_restart"] == ["server"], result
  assert "apply only at restart" in router.log()


def test_a_change_of_cache_backend_is_kept_for_the_restart(make_router, config_file):
  path, texts = config_file
  router = make_router(config=str(path), extra_args=["--no-watch-config"])
  config = json.loads(texts["B"])
  config.setdefault("semantic_cache", {}).update(
    {"backend": "redis", "redis": {"address": "127.0.0.1:6379"}})
  path.write_text(json.dumps(config))
  status, result = reload(router)
  assert status == 200, result
  assert result["needs_restart"] == ["semantic_cache.backend and semantic_cache.redis"], result


@dataclass
class Probe:
  started: float
  ended: float
  status: int
  model: str | None


def test_reloads_under_h2load_drop_no_request_and_route_by_the_config_in_force(
    make_router, config_file, tmp_path):
  """20 valid reloads alternating B and A, and 5 invalid ones among them, while h2load sends
  math questions through Envoy and a probe records which model answered each of its own. A probe
  request that ran wholly between two reloads must be routed by the config in force then."""
  path, texts = config_file
  router = make_router(config=str(path), extra_args=["--no-watch-config"])
  envoy = ts.envoy_for(path, router.port, tmp_path).start()
  probes: list[Probe] = []
  stop = threading.Event()

  def probe() -> None:
    while not stop.is_set():
      started = time.monotonic()
      reply = ts.post(envoy.port, ts.math_question())
      model = reply.json()["headers"]["x-selected-model"][0] if reply.status == 200 else None
      probes.append(Probe(started, time.monotonic(), reply.status, model))

  def wait_for_probes_after(moment: float, count: int = 3) -> None:
    deadline = time.monotonic() + 30
    while sum(p.started > moment for p in probes) < count:
      assert time.monotonic() < deadline, probes[-3:]
      time.sleep(0.01)

  sequence = [("B" if i % 2 == 0 else "A") for i in range(20)]
  for position in (3, 7, 11, 15, 19):
    sequence.insert(position, "invalid")
  # (moment the reload was asked for, moment it answered, variant in force afterwards)
  reloads: list[tuple[float, float, str]] = [(0.0, 0.0, "A")]
  thread = threading.Thread(target=probe, daemon=True)
  body = json.dumps(ts.math_question(tag="h2load")).encode()
  try:
    # The load outlasts the reloads (a few seconds); its log is read once it ends.
    with H2Load(f"http://127.0.0.1:{envoy.port}/v1/chat/completions", body, LOAD_SECONDS,
                tmp_path, clients=4) as load:
      thread.start()
      for variant in sequence:
        wait_for_probes_after(reloads[-1][1])
        path.write_text(INVALID if variant == "invalid" else texts[variant])
        asked = time.monotonic()
        status, result = reload(router)
        assert status == (422 if variant == "invalid" else 200), result
        in_force = reloads[-1][2] if variant == "invalid" else variant
        reloads.append((asked, time.monotonic(), in_force))
      wait_for_probes_after(reloads[-1][1])
      last_reload_at = time.time()
      stop.set()
      thread.join(timeout=30)
      requests = load.wait()
  finally:
    stop.set()
    envoy.stop()

  assert router.metric('semantic_router_config_reloads_total{result="reloaded"}') == 20
  assert router.metric('semantic_router_config_reloads_total{result="invalid"}') == 5
  assert generation(router) == 21
  assert [p for p in probes if p.status != 200] == []
  assert requests and [r for r in requests if r.status != 200] == [], load.output
  # The positive control: the load still ran after the last reload.
  assert max(r.ended for r in requests) > last_reload_at, (LOAD_SECONDS, last_reload_at)
  checked = 0
  for (_, answered, variant), (next_asked, _, _) in zip(reloads, reloads[1:] + [(1e18, 0, "")]):
    for p in probes:
      if answered < p.started and p.ended < next_asked:
        assert p.model == MATH_MODEL[variant], (p, variant)
        checked += 1
  assert checked >= 3 * len(reloads)
  print(f"\n25 reloads (20 valid, 5 invalid) under h2load: {len(requests)} h2load requests and "
        f"{len(probes)} probes, 0 failed; {checked} probes checked against the config in force")
