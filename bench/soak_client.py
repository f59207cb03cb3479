"""The soak's load: an asyncio HTTP/1.1 client that sends a fixed mix of requests to Envoy.

Kinds, by share of the requests:
- `chat` (50%): a chat completion with a question no earlier request asked (a cache miss);
- `cache_hit` (20%): one of 20 questions asked again (a semantic-cache hit once stored);
- `sse` (15%): a new question with `"stream": true`, read to the end of the event stream;
- `invalid_json` (5%): a body that is not JSON (the router answers 400);
- `cancel` (10%): a streamed question whose connection the client closes once the response
  headers arrived.

`closed_loop` measures the saturation rate (a fixed number of requests always in flight);
`open_loop` starts requests on a fixed schedule and counts latency from the scheduled start, so
a stall in the stack shows as latency instead of as a slower load (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

TESTSET = Path(__file__).resolve().parents[1] / "deploy" / "classifier" / "testset.tsv"
KINDS = {"chat": 0.50, "cache_hit": 0.20, "sse": 0.15, "invalid_json": 0.05, "cancel": 0.10}
EXPECTED_STATUS = {"chat": 200, "cache_hit": 200, "sse": 200, "invalid_json": 400, "cancel": 200}
REQUEST_TIMEOUT = 30.0
#: Requests (and so connections) in flight at once; a request past them waits, and its latency
#: shows the wait.
MAX_CONNECTIONS = 128


@dataclass(frozen=True)
class Outcome:
  """One request: its kind, whether it ended as that kind should, its latency in seconds and,
  for an unexpected end, what happened."""
  kind: str
  expected: bool
  latency: float
  detail: str = ""


def questions() -> list[str]:
  rows = [line.split("\t", 1) for line in TESTSET.read_text().splitlines()
          if line and not line.startswith("#")]
  return [question for _, question in rows]


class Connection:
  """One keep-alive HTTP/1.1 connection."""

  def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    self.reader = reader
    self.writer = writer

  @classmethod
  async def open(cls, host: str, port: int) -> "Connection":
    reader, writer = await asyncio.open_connection(host, port)
    return cls(reader, writer)

  def close(self) -> None:
    self.writer.close()

  async def send(self, path: str, body: bytes) -> None:
    head = (f"POST {path} HTTP/1.1\r\nhost: soak\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n").encode()
    self.writer.write(head + body)
    await self.writer.drain()

  async def read_head(self) -> tuple[int, dict[str, str]]:
    status_line = await self.reader.readline()
    if not status_line:
      raise ConnectionError("connection closed before a response")
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while (line := await self.reader.readline()) not in (b"\r\n", b"\n", b""):
      name, _, value = line.decode("latin-1").partition(":")
      headers[name.strip().lower()] = value.strip()
    return status, headers

  async def read_body(self, headers: dict[str, str]) -> bytes:
    if "content-length" in headers:
      return await self.reader.readexactly(int(headers["content-length"]))
    if "chunked" in headers.get("transfer-encoding", ""):
      parts = []
      while True:
        size = int((await self.reader.readline()).split(b";")[0], 16)
        if size == 0:
          await self.reader.readline()
          return b"".join(parts)
        parts.append(await self.reader.readexactly(size))
        await self.reader.readline()
    raise ConnectionError(f"response without a length: {headers}")


class SoakClient:
  """Sends the mix to `host:port` and collects one `Outcome` per request in `outcomes`."""

  def __init__(self, host: str, port: int, seed: int = 7) -> None:
    self.host, self.port = host, port
    self.random = random.Random(seed)
    self.questions = questions()
    self.repeated = self.questions[:20]
    self.serial = itertools.count()
    self.idle: list[Connection] = []
    self.slots: asyncio.Semaphore | None = None
    self.outcomes: list[Outcome] = []
    self.kinds = list(KINDS)
    self.weights = list(KINDS.values())

  def _unique_question(self) -> str:
    first, second = self.random.sample(self.questions, 2)
    return f"{first} Also, {second.lower()} (request {next(self.serial)})"

  def _body(self, kind: str) -> bytes:
    if kind == "invalid_json":
      return b'{"model": "auto", "messages": [{"role": "user", "content": "unterminated'
    question = (self.random.choice(self.repeated) if kind == "cache_hit"
                else self._unique_question())
    body = {"model": "auto", "messages": [{"role": "user", "content": question}],
            "max_tokens": 64}
    if kind in ("sse", "cancel"):
      body["stream"] = True
    return json.dumps(body).encode()

  async def _connection(self) -> Connection:
    if self.idle:
      return self.idle.pop()
    return await Connection.open(self.host, self.port)

  def _release(self, connection: Connection, reusable: bool) -> None:
    if reusable:
      self.idle.append(connection)
    else:
      connection.close()

  def _close_idle(self) -> None:
    """Closes the kept connections: they belong to the event loop of the run that ends."""
    while self.idle:
      self.idle.pop().close()

  async def one(self, kind: str, scheduled: float) -> Outcome:
    """Sends one request of `kind`; latency counts from `scheduled` (monotonic seconds)."""
    connection = None
    reusable = False
    await self.slots.acquire()
    try:
      connection = await self._connection()
      await connection.send("/v1/chat/completions", self._body(kind))
      status, headers = await asyncio.wait_for(connection.read_head(), REQUEST_TIMEOUT)
      if kind == "cancel":
        return self._outcome(kind, scheduled, status == EXPECTED_STATUS[kind], f"status {status}")
      body = await asyncio.wait_for(connection.read_body(headers), REQUEST_TIMEOUT)
      reusable = headers.get("connection", "").lower() != "close"
      ok = status == EXPECTED_STATUS[kind]
      if ok and kind == "sse":
        ok = body.rstrip().endswith(b"data: [DONE]")
      return self._outcome(kind, scheduled, ok, f"status {status}: {body[:200]!r}")
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
      return self._outcome(kind, scheduled, False, f"{type(error).__name__}: {error}")
    finally:
      if connection is not None:
        self._release(connection, reusable)
      self.slots.release()

  def _outcome(self, kind: str, scheduled: float, ok: bool, detail: str) -> Outcome:
    outcome = Outcome(kind, ok, time.monotonic() - scheduled, "" if ok else detail)
    self.outcomes.append(outcome)
    return outcome

  def _kind(self) -> str:
    return self.random.choices(self.kinds, self.weights)[0]

  async def closed_loop(self, concurrency: int, seconds: float) -> float:
    """`concurrency` requests always in flight for `seconds`; returns requests per second."""
    self.slots = asyncio.Semaphore(MAX_CONNECTIONS)
    deadline = time.monotonic() + seconds
    done = 0

    async def worker() -> None:
      nonlocal done
      while time.monotonic() < deadline:
        await self.one(self._kind(), time.monotonic())
        done += 1

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    self._close_idle()
    return done / (time.monotonic() - started)

  async def open_loop(self, rate: float, seconds: float) -> None:
    """Starts `rate` requests per second for `seconds`, each on its schedule."""
    self.slots = asyncio.Semaphore(MAX_CONNECTIONS)
    started = time.monotonic()
    tasks: set[asyncio.Task] = set()
    for index in itertools.count():
      scheduled = started + index / rate
      if scheduled - started >= seconds:
        break
      delay = scheduled - time.monotonic()
      if delay > 0:
        await asyncio.sleep(delay)
      task = asyncio.create_task(self.one(self._kind(), scheduled))
      tasks.add(task)
      task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    self._close_idle()
