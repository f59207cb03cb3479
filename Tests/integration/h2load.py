"""nghttp2's h2load as the load generator of the fault tests: it posts one body over h2c for a
fixed time, in the background, and logs every request it finished (start, status, duration).

The log is read once h2load has exited (it buffers its rows). A request still in flight when the
time is up is not logged; a stream that failed is logged with status -1.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LoggedRequest:
  """One finished request: start and end in seconds since the epoch (`time.time()`'s clock) and
  the HTTP status (-1 when the stream failed)."""
  started: float
  ended: float
  status: int


class H2Load:
  """h2load posting `body` to `url` for `seconds` with `clients` connections of `streams`
  concurrent streams each (`rate`: requests per second per client, or as fast as answered)."""

  def __init__(self, url: str, body: bytes, seconds: int, directory: Path, *,
               clients: int = 4, streams: int = 1, rate: int | None = None,
               headers: dict[str, str] | None = None) -> None:
    self.directory = Path(directory)
    self.log_path = self.directory / "h2load-requests.tsv"
    body_path = self.directory / "h2load-body"
    body_path.write_bytes(body)
    self.argv = ["h2load", "-D", str(seconds), "-c", str(clients), "-m", str(streams),
                 "-t", "1", "-d", str(body_path), "--log-file", str(self.log_path),
                 "-H", "content-type: application/json"]
    for name, value in (headers or {}).items():
      self.argv += ["-H", f"{name}: {value}"]
    if rate is not None:
      self.argv += ["--rps", str(rate)]
    self.argv.append(url)
    self.seconds = seconds
    self.proc: subprocess.Popen[str] | None = None
    self.output = ""

  def start(self) -> "H2Load":
    self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True)
    return self

  def wait(self) -> list[LoggedRequest]:
    """Waits for the run to end; returns the logged requests in start order."""
    assert self.proc is not None
    self.output, _ = self.proc.communicate(timeout=self.seconds + 60)
    assert self.log_path.exists(), f"h2load logged nothing:\n{self.output}"
    rows = []
    for line in self.log_path.read_text().splitlines():
      started_us, status, duration_us = line.split("\t")[:3]
      started = int(started_us) / 1e6
      rows.append(LoggedRequest(started, started + int(duration_us) / 1e6, int(status)))
    return sorted(rows, key=lambda row: row.started)

  def __enter__(self) -> "H2Load":
    return self.start()

  def __exit__(self, *exc) -> None:
    if self.proc is not None and self.proc.poll() is None:
      self.proc.kill()
      self.proc.communicate(timeout=10)
