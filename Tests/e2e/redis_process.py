"""A real `redis-server` (Debian's package) on a free loopback port with its own temp dir, no
persistence, for the shared-cache tests; and `redis-cli` to look at what the routers stored."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import stack


class RedisProcess(stack.ManagedProcess):
  """redis-server on 127.0.0.1; `password` sets `requirepass`; `tls` (server certificate, its
  key and the CA, PEM files) makes `port` a TLS-only port; `client_certificate` (certificate
  and key, for redis-cli) also makes it require client certificates from that CA. Restartable
  on the same port."""

  name = "redis"

  def __init__(self, password: str | None = None, port: int | None = None,
               tls: tuple[Path, Path, Path] | None = None,
               client_certificate: tuple[Path, Path] | None = None) -> None:
    super().__init__()
    self.port = port or stack.free_port()
    self.password = password
    self.tls = tls
    self.client_certificate = client_certificate
    self.dir = Path(tempfile.mkdtemp(prefix="redis-", dir=stack.scratch_dir()))

  def start(self, timeout: float = 15.0) -> "RedisProcess":
    binary = shutil.which("redis-server")
    if binary is None:
      raise stack.StartupError("redis-server not found (make test installs Debian's package)")
    argv = [binary, "--bind", "127.0.0.1", "--dir", str(self.dir),
            "--save", "", "--appendonly", "no", "--daemonize", "no"]
    if self.tls is None:
      argv += ["--port", str(self.port)]
    else:
      certificate, key, ca = self.tls
      argv += ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(certificate),
               "--tls-key-file", str(key), "--tls-ca-cert-file", str(ca),
               "--tls-auth-clients", "no" if self.client_certificate is None else "yes"]
    if self.password is not None:
      argv += ["--requirepass", self.password]
    self._spawn(argv)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
      if not self.running():
        raise stack.StartupError("redis-server exited\n" + self.log_tail())
      if self.cli("PING", check=False) == "PONG":
        return self
      time.sleep(0.05)
    self.stop()
    raise stack.StartupError("redis-server not ready\n" + self.log_tail())

  def kill(self) -> None:
    """SIGKILL, as a crash: no goodbye to the clients."""
    assert self.proc is not None
    self.proc.kill()
    self.proc.wait(timeout=10)

  def cli(self, *args: str, check: bool = True) -> str:
    """One redis-cli command's raw output (stripped)."""
    argv = ["redis-cli", "-p", str(self.port), "--no-auth-warning"]
    if self.tls is not None:
      argv += ["--tls", "--cacert", str(self.tls[2])]
    if self.client_certificate is not None:
      argv += ["--cert", str(self.client_certificate[0]), "--key", str(self.client_certificate[1])]
    if self.password is not None:
      argv += ["-a", self.password]
    result = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=10)
    if check and result.returncode != 0:
      raise AssertionError(f"redis-cli {args}: {result.stderr}")
    return result.stdout.strip()

  def keys(self, pattern: str) -> list[str]:
    return [line for line in self.cli("--scan", "--pattern", pattern).splitlines() if line]
