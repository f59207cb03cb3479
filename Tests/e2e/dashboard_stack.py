"""Two routers under traffic, scraped by a real Prometheus: what the dashboard test evaluates
deploy/grafana/semantic-router.json against, and what scripts/render-dashboard.py plots.

    stub vLLMs ◀── Envoy A ──ext_proc──▶ router-a ─┐  /metrics every 1 s
               ◀── Envoy B ──ext_proc──▶ router-b ─┴─▶ Prometheus (Debian's package)
    traffic: plain, repeated (cache hits), streamed, unknown model (404), backend 503

Prometheus runs with its own config and a temporary TSDB on a free loopback port; each router
is a scrape target whose `instance` label names it (router-a, router-b), as a pod name would.
"""

from __future__ import annotations

import http.client
import itertools
import json
import shutil
import threading
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import e2e_stack
import stack
from otlp_receiver import OTLPReceiver

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "deploy" / "grafana" / "semantic-router.json"
#: What `$__rate_interval` stands for: four scrapes at the 1 s interval, as Grafana computes it.
RATE_INTERVAL = "4s"
ROUTERS = ("router-a", "router-b")


def promql(expr: str) -> str:
  """A panel target's expression with Grafana's variables substituted: every pod, and
  `$__rate_interval` as RATE_INTERVAL."""
  expr = expr.replace("$__rate_interval", RATE_INTERVAL)
  expr = expr.replace('instance=~"$instance"', 'instance=~".*"')
  assert "$" not in expr, f"unsubstituted variable: {expr}"
  return expr


def dashboard_queries(dashboard: dict[str, Any] | None = None) -> list[tuple[str, str, str]]:
  """(panel title, legend, PromQL) of every panel target, variables substituted."""
  dashboard = dashboard or json.loads(DASHBOARD.read_text())
  return [
    (panel["title"], target.get("legendFormat", ""), promql(target["expr"]))
    for panel in dashboard["panels"] for target in panel["targets"]
  ]


def prometheus_binary() -> str:
  """Debian's prometheus (APT_PACKAGES in the Makefile)."""
  binary = shutil.which("prometheus") or "/usr/bin/prometheus"
  assert Path(binary).exists(), "no prometheus binary: `make apt` installs Debian's package"
  return binary


class Prometheus(stack.ManagedProcess):
  """A Prometheus scraping `targets` (instance name → admin port) every second."""

  name = "prometheus"

  def __init__(self, directory: Path, targets: dict[str, int]) -> None:
    super().__init__()
    self.port = stack.free_port()
    self.directory = directory
    scrape_configs = [{
      "job_name": "semantic-router",
      "scrape_interval": "1s",
      "scrape_timeout": "1s",
      "static_configs": [
        {"targets": [f"127.0.0.1:{port}"], "labels": {"instance": name}}
        for name, port in targets.items()
      ],
    }]
    self.config = directory / "prometheus.yml"
    self.config.write_text(json.dumps({
      "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
      "scrape_configs": scrape_configs,
    }))

  def start(self, timeout: float = 30.0) -> "Prometheus":
    self._spawn([
      prometheus_binary(), f"--config.file={self.config}",
      f"--storage.tsdb.path={self.directory / 'tsdb'}",
      f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn",
    ])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
      if not self.running():
        raise stack.StartupError("prometheus exited before it was ready\n" + self.log_tail())
      try:
        with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as reply:
          if reply.status == 200:
            return self
      except OSError:
        pass
      time.sleep(0.1)
    raise stack.StartupError(f"prometheus not ready after {timeout}s\n" + self.log_tail())

  @property
  def url(self) -> str:
    return f"http://127.0.0.1:{self.port}"

  def api(self, path: str, **params: str) -> dict[str, Any]:
    """One HTTP API call; the decoded JSON answer (errors included, as Prometheus sends them)."""
    url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    try:
      with urllib.request.urlopen(url, timeout=10) as reply:
        return json.load(reply)
    except urllib.error.HTTPError as error:
      return json.load(error)

  def query(self, expr: str) -> dict[str, Any]:
    return self.api("query", query=expr)


class Traffic:
  """A thread sending a mix of requests through the Envoys, round-robin, until stopped."""

  def __init__(self, envoy_ports: list[int]) -> None:
    self.envoy_ports = envoy_ports
    self.sent = 0
    self._stop = threading.Event()
    self._thread = threading.Thread(target=self._run, name="traffic", daemon=True)
    self.errors: list[str] = []

  def __enter__(self) -> "Traffic":
    self._thread.start()
    return self

  def __exit__(self, *_: object) -> None:
    self._stop.set()
    self._thread.join(30)

  def _requests(self) -> itertools.cycle:
    def chat(text: str, **extra: Any) -> dict[str, Any]:
      return {"model": "auto", "messages": [{"role": "user", "content": text}], **extra}
    return itertools.cycle([
      (chat("Solve the integral of x^2 from 0 to {n}"), {}),
      (chat("What is photosynthesis in plants?"), {}),  # the same question: cache hits
      (chat("Write a python function that reverses list number {n}", stream=True), {}),
      (chat("Explain the derivative of sin(x) times {n}", stream=True), {}),
      ({"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]}, {}),
      (chat("Tell me about the history of the Roman empire"), {"x-stub-status": "503"}),
    ])

  def _run(self) -> None:
    ports = itertools.cycle(self.envoy_ports)
    for number, (body, headers) in enumerate(self._requests()):
      if self._stop.is_set():
        return
      body = json.loads(json.dumps(body).replace("{n}", str(number)))
      try:
        e2e_stack.post_chat(next(ports), body, headers=headers, timeout=30)
        self.sent += 1
      except (OSError, http.client.HTTPException) as error:
        self.errors.append(repr(error))


class DashboardStack:
  """Backends, two routers each behind its own Envoy (tracing to one OTLP receiver), and
  Prometheus scraping both routers. A context manager; everything stops on exit."""

  def __init__(self, directory: Path) -> None:
    self.directory = Path(directory)
    self._exit = ExitStack()
    self.prometheus: Prometheus | None = None
    self.envoy_ports: list[int] = []
    self.routers: dict[str, e2e_stack.RoutedStack] = {}

  def __enter__(self) -> "DashboardStack":
    try:
      receiver = self._exit.enter_context(OTLPReceiver())
      backends = e2e_stack.start_backends(self._exit, otlp_url=None, tokens=8)
      for name in ROUTERS:
        config = e2e_stack.write_router_config(
          self.directory / f"{name}.yaml", e2e_stack.endpoints_of(backends),
          tracing=e2e_stack.tracing_section(f"127.0.0.1:{receiver.port}"))
        routed = self._exit.enter_context(e2e_stack.RoutedStack(config, with_admin=True))
        self.routers[name] = routed
        self.envoy_ports.append(routed.envoy.port)
      self.prometheus = Prometheus(
        self.directory, {name: routed.admin_port for name, routed in self.routers.items()})
      self._exit.callback(self.prometheus.stop)
      self.prometheus.start()
    except BaseException:
      self._exit.close()
      raise
    return self

  def __exit__(self, *_: object) -> None:
    self._exit.close()

  def traffic(self) -> Traffic:
    return Traffic(self.envoy_ports)
