"""A backend that streams one huge `text/event-stream` line with no newline, through a real Envoy
1.40: the client still gets every byte unchanged, the router stops reading the stream at
`max_sse_event_bytes` (its RSS stays flat where it used to grow with the line), counts it in
`semantic_router_response_limit_exceeded_total{limit="sse_event"}` and on the upstream span,
and keeps answering. A request the router translates (Responses to a chat-only backend) gets its
stream ended with `response.failed` instead.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import secrets
import socket
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack  # noqa: E402
import tracing_stack as ts  # noqa: E402
from raw_http_backend import RawHTTPBackend  # noqa: E402

#: The request header that tells the backend how long its one unterminated line is.
LINE_HEADER = "x-long-line-bytes"
#: The request header naming the request for `LongLineBackend.release`.
TOKEN_HEADER = "x-test-token"
#: The request header that asks for that many text events of `DELTA_BYTES` instead of the line.
DELTAS_HEADER = "x-text-deltas"
DELTA_BYTES = 1000
CAP = 64 * 1024
#: Far past the cap and large enough that keeping it would show in the router's RSS.
LINE_BYTES = 48 * 1024 * 1024
BLOCK = 64 * 1024

FIRST = (b'data: {"id":"c","model":"chat-model",'
         b'"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n')
USAGE = (b'data: {"id":"c","model":"chat-model","choices":[],'
         b'"usage":{"prompt_tokens":7,"completion_tokens":2}}\n\ndata: [DONE]\n\n')


def long_line(line_bytes: int):
  """`line_bytes` of one `data:` line with no newline, block by block."""
  yield b"data: "
  left = line_bytes
  while left:
    block = min(left, BLOCK)
    yield b"x" * block
    left -= block


#: What ends the long line: its newline, a usage event and `[DONE]`.
END = b"\n\n" + USAGE

DELTA = (b'data: {"id":"c","model":"chat-model","choices":[{"index":0,"delta":{"content":"'
         + b"a" * DELTA_BYTES + b'"}}]}\n\n')


def backend_stream(line_bytes: int) -> bytes:
  """The whole answer's body: a normal event, the long line, its end."""
  return FIRST + b"".join(long_line(line_bytes)) + END


class LongLineBackend(RawHTTPBackend):
  """An HTTP/1.1 backend on a free loopback port answering every request with the chunked event
  stream of `backend_stream`, its line as long as the request's `x-long-line-bytes` (0: no long
  line at all, a normal short stream), or with `x-text-deltas` events of text in its place.

  It sends the first event, then waits for `release(token)` (the request's `x-test-token`)
  before the long line: the client has then read the first event, so Envoy has the router's
  answer to the response headers. (Bytes that arrive before that answer are buffered by Envoy,
  which fails the exchange with a 500 past its buffer limit, 1 MiB: Envoy's behaviour, whatever
  the router does.) After the line it waits for a second `release(token)` before ending it, so
  the test can look at the router while the line is still open."""

  def __init__(self) -> None:
    super().__init__("long-line-backend")
    self._released: dict[str, threading.Event] = {}
    self._lock = threading.Lock()

  def _event(self, token: str, stage: int) -> threading.Event:
    with self._lock:
      return self._released.setdefault(f"{token}/{stage}", threading.Event())

  def release(self, token: str, stage: int) -> None:
    self._event(token, stage).set()

  def _send(self, connection: socket.socket, block: bytes) -> None:
    connection.sendall(b"%x\r\n%s\r\n" % (len(block), block))

  def _serve(self, connection: socket.socket) -> None:
    with connection, contextlib.suppress(OSError):
      connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
      while (headers := self._read_request(connection)) is not None:
        connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                           b"transfer-encoding: chunked\r\n\r\n")
        token = headers.get(TOKEN_HEADER, "")
        self._send(connection, FIRST)
        if not self._event(token, 1).wait(30):
          return
        if deltas := int(headers.get(DELTAS_HEADER, "0")):
          for _ in range(deltas):
            self._send(connection, DELTA)
        else:
          for block in long_line(int(headers.get(LINE_HEADER, "0"))):
            self._send(connection, block)
        if not self._event(token, 2).wait(30):
          return
        self._send(connection, END)
        connection.sendall(b"0\r\n\r\n")


@pytest.fixture(scope="module")
def limited(tmp_path_factory, receiver):
  """The router with `max_sse_event_bytes: 64 KiB` behind Envoy 1.40 as `envoy-config` writes
  it; both models on one `LongLineBackend`, `chat-model` serving chat completions only (so a
  Responses request to it is translated)."""
  with contextlib.ExitStack() as cleanup:
    backend = cleanup.enter_context(LongLineBackend())
    directory = tmp_path_factory.mktemp("sse-limits")
    path = ts.write_router_config(
      directory, {"math-model": backend.url, "chat-model": backend.url},
      {"enabled": True, "exporter": {"type": "otlp", "endpoint": receiver.endpoint},
       "batch": {"schedule_delay": "100ms"}})
    config = json.loads(path.read_text())
    config["max_sse_event_bytes"] = CAP
    config["models"][1]["apis"] = ["chat_completions"]
    path.write_text(json.dumps(config, indent=2))
    router = cleanup.enter_context(stack.Router(config=str(path)).start())
    envoy = cleanup.enter_context(ts.envoy_for(path, router.port, directory).start())
    yield router, envoy, backend


def stream(backend: LongLineBackend, envoy_port: int, path: str, body: dict, line_bytes: int,
           trace_id: str | None = None, line_passed=lambda: None,
           deltas: int = 0) -> tuple[int, bytes]:
  """POSTs through Envoy and reads the whole streamed answer: its first bytes; then the long
  line (when the router passes the stream unchanged, `line_passed()` is called once
  all of it has reached the client, while the backend holds the line open); then the rest."""
  token = secrets.token_hex(8)
  headers = {"content-type": "application/json", LINE_HEADER: str(line_bytes),
             TOKEN_HEADER: token, DELTAS_HEADER: str(deltas)}
  if trace_id:
    headers["traceparent"] = ts.traceparent(trace_id)
  conn = http.client.HTTPConnection("127.0.0.1", envoy_port, timeout=120)
  try:
    conn.request("POST", path, body=json.dumps(body).encode(), headers=headers)
    response = conn.getresponse()
    received = response.read1(65536) if response.status == 200 else b""
    backend.release(token, 1)
    line_end = len(FIRST) + len(b"data: ") + line_bytes
    if path == "/v1/chat/completions":
      while len(received) < line_end and (block := response.read1(1 << 20)):
        received += block
      line_passed()
    backend.release(token, 2)
    return response.status, received + response.read()
  finally:
    conn.close()


def limit_count(router, limit: str) -> float:
  match = re.search(
    r'^semantic_router_response_limit_exceeded_total\{limit="%s"\} (\S+)$' % limit,
    router.metrics_text(), re.MULTILINE)
  assert match, router.metrics_text()
  return float(match.group(1))


def general_question() -> dict:
  return {"model": "chat-model", "stream": True, "messages": [
    {"role": "user", "content": f"tell me a joke {secrets.token_hex(4)}"}]}


def test_a_newline_less_line_passes_whole_while_the_router_stops_reading_it(limited, receiver):
  router, envoy, backend = limited
  # Warm up: one normal stream, so the RSS baseline has every per-stream structure in it.
  status, body = stream(backend, envoy.port, "/v1/chat/completions", general_question(), 0)
  assert status == 200 and body == backend_stream(0)
  before_rss = router.rss_kib()
  before_count = limit_count(router, "sse_event")

  trace_id = secrets.token_hex(16)
  open_line_rss = []
  status, body = stream(backend, envoy.port, "/v1/chat/completions", general_question(),
                        LINE_BYTES, trace_id, lambda: open_line_rss.append(router.rss_kib()))
  grown = open_line_rss[0] - before_rss
  print(f"\n{LINE_BYTES} B line, cap {CAP} B: router RSS {before_rss} KiB before, "
        f"{open_line_rss[0]} KiB with the line open (+{grown} KiB)")

  assert status == 200
  assert len(body) == len(FIRST) + len(b"data: ") + LINE_BYTES + len(END)
  assert body == backend_stream(LINE_BYTES), "the client's bytes were changed"
  # Keeping the line would hold at least its 48 MiB; the cap keeps 64 KiB.
  assert grown < 16 * 1024, f"router RSS grew {grown} KiB"
  assert limit_count(router, "sse_event") == before_count + 1

  spans = ts.by_name([s for s in receiver.wait_for_trace(trace_id, ts.ROUTER_SPANS)
                      if s.service_name == "vllm-semantic-router"])
  upstream = spans[ts.UPSTREAM]
  assert upstream.attributes["semantic_router.response.limit_exceeded"] == "sse_event"
  # The first token came before the long line; the usage after it was not read.
  assert [e.name for e in upstream.events] == ["gen_ai.first_token"]
  assert "gen_ai.usage.output_tokens" not in upstream.attributes
  assert upstream.status_code == "UNSET"

  # Still healthy: the next stream is read to its usage.
  assert stack.health_status(router.address) == "SERVING"
  trace_id = secrets.token_hex(16)
  status, body = stream(backend, envoy.port, "/v1/chat/completions", general_question(), 0,
                        trace_id)
  assert status == 200 and body == backend_stream(0)
  spans = ts.by_name([s for s in receiver.wait_for_trace(trace_id, ts.ROUTER_SPANS)
                      if s.service_name == "vllm-semantic-router"])
  assert spans[ts.UPSTREAM].attributes["gen_ai.usage.output_tokens"] == 2
  assert limit_count(router, "sse_event") == before_count + 1


def test_a_translated_stream_past_the_cap_ends_with_response_failed(limited):
  router, envoy, backend = limited
  before_count = limit_count(router, "sse_event")
  status, body = stream(
    backend, envoy.port, "/v1/responses",
    {"model": "chat-model", "stream": True, "input": f"tell me a joke {secrets.token_hex(4)}"},
    4 * 1024 * 1024)
  assert status == 200
  events = [line[len(b"event: "):].decode() for line in body.split(b"\n")
            if line.startswith(b"event: ")]
  assert events[:2] == ["response.created", "response.in_progress"], events
  assert events[-1] == "response.failed", events
  assert "response.completed" not in events
  assert b"max_sse_event_bytes (65536 bytes)" in body
  # Nothing of the backend's own stream reaches the client after the error.
  assert b"xxxx" not in body and b"[DONE]" not in body
  assert limit_count(router, "sse_event") == before_count + 1
  assert stack.health_status(router.address) == "SERVING"


def sse_events(body: bytes) -> list[tuple[str, dict]]:
  """The (event name, data as JSON) of each event of a Responses event stream."""
  events = []
  for block in body.split(b"\n\n"):
    fields = dict(line.split(b": ", 1) for line in block.split(b"\n") if b": " in line)
    if b"event" in fields:
      events.append((fields[b"event"].decode(), json.loads(fields[b"data"])))
  return events


@pytest.mark.parametrize("deltas, last_event", [(900, "response.completed"),
                                                (1100, "response.failed")])
def test_a_translated_responses_stream_keeps_its_text_up_to_max_translated_answer_bytes(
    limited, deltas, last_event):
  """900 kB of text fits the default 1 MiB and comes back whole in the closing events (one body
  mutation of about 3.6 MB through Envoy); 1.1 MB ends with `response.failed`."""
  router, envoy, backend = limited
  before_count = limit_count(router, "translated_answer")
  status, body = stream(
    backend, envoy.port, "/v1/responses",
    {"model": "chat-model", "stream": True, "input": f"tell me a joke {secrets.token_hex(4)}"},
    0, deltas=deltas)
  assert status == 200
  events = sse_events(body)
  names = [name for name, _ in events]
  assert names[-1] == last_event, names[-5:]
  text = "".join(data["delta"] for name, data in events if name == "response.output_text.delta")
  if last_event == "response.completed":
    assert text == "Hi" + "a" * (deltas * DELTA_BYTES)
    output = events[-1][1]["response"]["output"][0]["content"][0]["text"]
    assert output == text
    assert limit_count(router, "translated_answer") == before_count
  else:
    assert len(text.encode()) <= 1 << 20
    message = events[-1][1]["response"]["error"]["message"]
    assert "max_translated_answer_bytes (1048576 bytes)" in message
    assert limit_count(router, "translated_answer") == before_count + 1
  assert stack.health_status(router.address) == "SERVING"
