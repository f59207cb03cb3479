"""Starts and stops the stub vLLM (deploy/vllm-stub/vllm_stub.py) as a child process for tests."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
STUB_SCRIPT = REPO_ROOT / "deploy" / "vllm-stub" / "vllm_stub.py"

_LISTENING = re.compile(rb"on http://([0-9.]+):(\d+) ")


class VLLMStubProcess:
  """One stub vLLM on 127.0.0.1 and a free port, exporting spans to `otlp_url` when given.

  The batch span processor's delay defaults to 100 ms here so tests see spans quickly; pass
  `env={"OTEL_BSP_SCHEDULE_DELAY": ...}` to change it.
  """

  def __init__(
    self, name: str = "stub", model: str = "stub-model", otlp_url: str | None = None,
    tokens: int = 8, latency_ms: float = 0, service_name: str | None = None,
    env: dict[str, str] | None = None, serves_responses: bool = True,
  ) -> None:
    self.name = name
    self.model = model
    arguments = [
      sys.executable, str(STUB_SCRIPT), "--host", "127.0.0.1", "--port", "0", "--name", name,
      "--model", model, "--tokens", str(tokens), "--latency-ms", str(latency_ms),
    ]
    if otlp_url:
      arguments += ["--otlp-endpoint", otlp_url]
    if not serves_responses:
      arguments.append("--no-responses")
    if service_name:
      arguments += ["--service-name", service_name]
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    child_env["OTEL_BSP_SCHEDULE_DELAY"] = "100"
    child_env.update(env or {})
    self._process = subprocess.Popen(
      arguments, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=child_env,
    )
    self.port = self._await_listening()
    self.url = f"http://127.0.0.1:{self.port}"
    # Keep draining output so a chatty child never blocks on a full pipe.
    self.output = bytearray()
    threading.Thread(target=self._drain, daemon=True).start()

  def _await_listening(self, timeout: float = 15.0) -> int:
    timer = threading.Timer(timeout, self._process.kill)
    timer.start()
    try:
      assert self._process.stdout is not None
      line = self._process.stdout.readline()
    finally:
      timer.cancel()
    match = _LISTENING.search(line)
    if match is None:
      rest = self._process.stdout.read() if self._process.poll() is not None else b""
      self._process.kill()
      raise RuntimeError(f"stub vLLM did not start: {(line + rest).decode(errors='replace')}")
    return int(match.group(2))

  def _drain(self) -> None:
    assert self._process.stdout is not None
    for line in self._process.stdout:
      self.output.extend(line)

  def debug_requests(self) -> list[dict[str, Any]]:
    """The recent requests the stub saw, oldest first (GET /debug/requests)."""
    with urllib.request.urlopen(self.url + "/debug/requests", timeout=5) as response:
      return json.load(response)["requests"]

  def clear_debug_requests(self) -> None:
    request = urllib.request.Request(self.url + "/debug/requests", method="DELETE")
    urllib.request.urlopen(request, timeout=5).close()

  def terminate(self, timeout: float = 10.0) -> int:
    """Sends SIGTERM (the stub flushes its spans) and returns the exit code."""
    if self._process.poll() is None:
      self._process.send_signal(signal.SIGTERM)
    try:
      return self._process.wait(timeout)
    except subprocess.TimeoutExpired:
      self._process.kill()
      self._process.wait()
      raise

  def stop(self) -> None:
    """Stops the stub, killing it if SIGTERM is not enough."""
    try:
      self.terminate()
    except subprocess.TimeoutExpired:
      pass

  def __enter__(self) -> VLLMStubProcess:
    return self

  def __exit__(self, *_: object) -> None:
    self.stop()
