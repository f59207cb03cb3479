#!/usr/bin/env python3
"""A stand-in for a vLLM OpenAI-compatible server, for demos and tests.

It answers the endpoints a router and the OpenAI client use, with a fixed, predictable text, and
traces like a real vLLM started with an OTLP endpoint: it continues the caller's W3C
`traceparent` and exports one `vllm.generate` SERVER span per generation, carrying the
OpenTelemetry GenAI attributes and the token counts it reports in `usage`.

Endpoints:
  POST /v1/chat/completions   JSON, or Server-Sent Events when "stream": true
  POST /v1/completions        JSON, or Server-Sent Events when "stream": true
  POST /v1/responses          OpenAI Responses API: a response object, or its event stream
                              (response.created ... response.output_text.delta ...
                              response.completed) when "stream": true; --no-responses turns it
                              off (404), as for a backend that does not serve the API
  GET  /v1/models             the served model
  GET  /health                200, empty body (as vLLM)
  GET  /debug/requests        the most recent requests seen (path, model, headers, body text, ...)
                              for tests
  DELETE /debug/requests      forget them

Token counts are deterministic so tests can predict them: prompt tokens are the whitespace
separated words of the prompt (messages' text content, or `prompt`), at least 1; completion
tokens are --tokens, capped by the request's `max_tokens` / `max_completion_tokens`.

Streaming always ends with a usage chunk (`"choices": []` and `usage`) before `data: [DONE]`,
as OpenAI does with `stream_options.include_usage`, so a router can record token counts for
every streamed response; a request that sets `include_usage` to false explicitly gets none.

Test hooks, read from request headers (a router forwards them): `x-stub-status: <code>` answers
with that HTTP status and an OpenAI-style error body; `x-stub-latency-ms: <ms>` overrides
--latency-ms for that request.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import socket
import sys
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

from opentelemetry import trace
from opentelemetry.propagate import extract
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

# Words the stub "generates", one token each.
_WORDS = (
  "This is a stub completion from a local vLLM stand-in used to test routing and tracing "
  "end to end without a GPU or model weights"
).split()

# How many recent requests /debug/requests keeps.
_DEBUG_HISTORY = 256


class StubSettings:
  """The stub's configuration, from flags with environment fallbacks."""

  def __init__(self, args: argparse.Namespace) -> None:
    self.host: str = args.host
    self.port: int = args.port
    self.model: str = args.model
    self.name: str = args.name
    self.latency_ms: float = args.latency_ms
    self.tokens: int = args.tokens
    self.otlp_endpoint: str | None = args.otlp_endpoint or None
    self.service_name: str = args.service_name
    self.verbose: bool = args.verbose
    self.serves_responses: bool = not args.no_responses


class RequestLog:
  """A bounded, thread-safe record of the requests the stub has seen (for /debug/requests)."""

  def __init__(self, capacity: int) -> None:
    self._lock = threading.Lock()
    self._entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=capacity)

  def append(self, entry: dict[str, Any]) -> None:
    with self._lock:
      self._entries.append(entry)

  def snapshot(self) -> list[dict[str, Any]]:
    with self._lock:
      return list(self._entries)

  def clear(self) -> None:
    with self._lock:
      self._entries.clear()


class HTTPError(Exception):
  """An error answered to the client as an OpenAI-style JSON error body."""

  def __init__(self, status: int, message: str) -> None:
    super().__init__(message)
    self.status = status
    self.message = message


def count_prompt_tokens(body: dict[str, Any]) -> int:
  """Counts whitespace-separated words in the prompt: messages' text content, `prompt`, or
  the Responses API's `instructions` and `input` (a string or message items)."""
  texts: list[str] = []
  if isinstance(body.get("instructions"), str):
    texts.append(body["instructions"])
  items = body.get("input")
  if isinstance(items, str):
    texts.append(items)
  messages = list(body.get("messages") or []) + (items if isinstance(items, list) else [])
  for message in messages:
    if not isinstance(message, dict):
      continue
    content = message.get("content")
    if isinstance(content, str):
      texts.append(content)
    elif isinstance(content, list):
      texts.extend(
        part.get("text", "") for part in content
        if isinstance(part, dict) and isinstance(part.get("text"), str)
      )
  prompt = body.get("prompt")
  if isinstance(prompt, str):
    texts.append(prompt)
  elif isinstance(prompt, list):
    texts.extend(p for p in prompt if isinstance(p, str))
  return max(1, sum(len(t.split()) for t in texts))


def completion_token_count(body: dict[str, Any], default: int) -> int:
  """The number of tokens to generate: --tokens, capped by the request's max tokens."""
  count = default
  for key in ("max_completion_tokens", "max_tokens", "max_output_tokens"):
    limit = body.get(key)
    if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
      count = min(count, limit)
  return count


def generated_words(count: int) -> list[str]:
  """The stub's output: `count` words cycling through a fixed sentence."""
  return [_WORDS[i % len(_WORDS)] for i in range(count)]


def make_tracer(settings: StubSettings) -> tuple[trace.Tracer, TracerProvider]:
  """A tracer whose spans go to OTLP/gRPC in batches, or nowhere when no endpoint is set.

  The SDK reads OTEL_TRACES_SAMPLER (default parent-based always-on, so an unsampled caller gets
  no span here either), OTEL_RESOURCE_ATTRIBUTES and OTEL_BSP_* itself.
  """
  resource = Resource.create({
    SERVICE_NAME: settings.service_name, "service.instance.id": settings.name,
  })
  provider = TracerProvider(resource=resource)
  if settings.otlp_endpoint:
    # Imported only when exporting, so the stub also runs with just the SDK installed.
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    endpoint = settings.otlp_endpoint
    insecure = not endpoint.startswith("https://")
    if "://" not in endpoint:
      endpoint = "http://" + endpoint
    provider.add_span_processor(
      BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=insecure))
    )
  return provider.get_tracer("vllm-stub"), provider


class ResponsesAnswer:
  """One answer in the OpenAI Responses API's shapes: the response object and its event stream
  (every event carries `type` and `sequence_number`, and is sent with an `event:` line)."""

  def __init__(
    self, response_id: str, model: str, words: list[str], finish_reason: str,
    usage: dict[str, int],
  ) -> None:
    self.id = response_id
    self.item_id = "msg_" + response_id.removeprefix("resp_")
    self.model = model
    self.words = words
    self.status = "incomplete" if finish_reason == "length" else "completed"
    self.usage = {
      "input_tokens": usage["prompt_tokens"], "input_tokens_details": {"cached_tokens": 0},
      "output_tokens": usage["completion_tokens"],
      "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": usage["total_tokens"],
    }
    self.created = int(time.time())

  def item(self, text: str | None, status: str) -> dict[str, Any]:
    return {
      "id": self.item_id, "type": "message", "status": status, "role": "assistant",
      "content": [] if text is None else [self.part(text)],
    }

  @staticmethod
  def part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}

  def response(self, status: str, done: bool) -> dict[str, Any]:
    text = " ".join(self.words)
    return {
      "id": self.id, "object": "response", "created_at": self.created, "status": status,
      "model": self.model, "output": [self.item(text, "completed")] if done else [],
      "error": None,
      "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
      "instructions": None, "metadata": {}, "parallel_tool_calls": True, "tool_choice": "auto",
      "tools": [], "usage": self.usage if done else None,
    }

  def events(self, latency_ms: float, span: trace.Span) -> Iterator[bytes]:
    """The event stream; the latency is spread over the tokens."""
    sequence = 0
    where = {"item_id": self.item_id, "output_index": 0, "content_index": 0}

    def event(kind: str, **fields: Any) -> bytes:
      nonlocal sequence
      data = {"type": kind, "sequence_number": sequence, **fields}
      sequence += 1
      return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()

    yield event("response.created", response=self.response("in_progress", done=False))
    yield event("response.in_progress", response=self.response("in_progress", done=False))
    yield event("response.output_item.added", output_index=0,
                item=self.item(None, "in_progress"))
    yield event("response.content_part.added", **where, part=self.part(""))
    delay = latency_ms / 1000 / max(1, len(self.words))
    for index, word in enumerate(self.words):
      time.sleep(delay)
      if index == 0:
        span.add_event("gen_ai.first_token")
      yield event("response.output_text.delta", **where,
                  delta=word if index == 0 else " " + word, logprobs=[])
    text = " ".join(self.words)
    yield event("response.output_text.done", **where, text=text, logprobs=[])
    yield event("response.content_part.done", **where, part=self.part(text))
    yield event("response.output_item.done", output_index=0, item=self.item(text, "completed"))
    yield event(
      "response.completed" if self.status == "completed" else "response.incomplete",
      response=self.response(self.status, done=True))


class StubServer(ThreadingHTTPServer):
  """The HTTP server, one thread per connection, holding what the handlers share."""

  daemon_threads = True
  allow_reuse_address = True
  # socketserver's backlog of 5 drops SYNs when Envoy opens many connections at once.
  request_queue_size = 128

  def __init__(self, settings: StubSettings, tracer: trace.Tracer) -> None:
    self.settings = settings
    self.tracer = tracer
    self.request_log = RequestLog(_DEBUG_HISTORY)
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    self.address_family = family
    super().__init__((settings.host, settings.port), StubHandler)


class StubHandler(BaseHTTPRequestHandler):
  """Serves one HTTP/1.1 connection (keep-alive: every response has a length or is chunked)."""

  protocol_version = "HTTP/1.1"
  # Headers and body are separate writes: without TCP_NODELAY, Nagle holds the body for the
  # peer's delayed ACK (40 ms per answer).
  disable_nagle_algorithm = True
  server: StubServer
  server_version = "vllm-stub"

  # MARK: - Routing

  def do_GET(self) -> None:  # noqa: N802 (name fixed by BaseHTTPRequestHandler)
    path = self.path.split("?", 1)[0]
    if path == "/health":
      self._send_bytes(HTTPStatus.OK, b"", "text/plain")
    elif path == "/v1/models":
      settings = self.server.settings
      self._send_json(HTTPStatus.OK, {
        "object": "list",
        "data": [{
          "id": settings.model, "object": "model", "created": int(time.time()),
          "owned_by": "vllm", "root": settings.model, "max_model_len": 8192,
        }],
      })
    elif path == "/debug/requests":
      self._send_json(HTTPStatus.OK, {
        "backend": self.server.settings.name, "requests": self.server.request_log.snapshot(),
      })
    else:
      self._send_error(HTTPError(HTTPStatus.NOT_FOUND, f"no route for GET {path}"))

  def do_DELETE(self) -> None:  # noqa: N802
    if self.path.split("?", 1)[0] == "/debug/requests":
      self.server.request_log.clear()
      self._send_bytes(HTTPStatus.NO_CONTENT, b"", None)
    else:
      self._send_error(HTTPError(HTTPStatus.NOT_FOUND, f"no route for DELETE {self.path}"))

  def do_POST(self) -> None:  # noqa: N802
    path = self.path.split("?", 1)[0]
    try:
      raw = self._read_body()
    except HTTPError as error:
      self._send_error(error)
      self.close_connection = True
      return
    served = ["/v1/chat/completions", "/v1/completions"]
    if self.server.settings.serves_responses:
      served.append("/v1/responses")
    if path not in served:
      self._send_error(HTTPError(HTTPStatus.NOT_FOUND, f"no route for POST {path}"))
      return
    try:
      body = json.loads(raw or b"null")
      if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")
    except ValueError as error:
      self._record(path, None, False, raw)
      self._send_error(HTTPError(HTTPStatus.BAD_REQUEST, f"invalid JSON body: {error}"))
      return
    self._generate(path, body, raw)

  # MARK: - Generation

  def _generate(self, path: str, body: dict[str, Any], raw: bytes) -> None:
    settings = self.server.settings
    responses = path == "/v1/responses"
    chat = path == "/v1/chat/completions" or responses
    stream = body.get("stream") is True
    requested_model = body.get("model") if isinstance(body.get("model"), str) else None
    # Echo the model the request named (after a router rewrote it), like a server of that model.
    model = requested_model or settings.model
    self._record(path, requested_model, stream, raw)

    parent = extract({key.lower(): value for key, value in self.headers.items()})
    with self.server.tracer.start_as_current_span(
      "vllm.generate", context=parent, kind=SpanKind.SERVER, record_exception=False,
      set_status_on_exception=False,
    ) as span:
      span.set_attribute("gen_ai.operation.name", "chat" if chat else "text_completion")
      span.set_attribute("gen_ai.request.model", requested_model or "")
      span.set_attribute("http.request.method", "POST")
      span.set_attribute("url.path", path)
      try:
        forced_status = self._forced_status()
        latency_ms = self._latency_ms()
      except HTTPError as error:
        self._fail_span(span, error.status, error.message)
        self._send_error(error)
        return
      if forced_status is not None and forced_status >= 400:
        time.sleep(latency_ms / 1000)
        message = f"stub failure requested by x-stub-status: {forced_status}"
        self._fail_span(span, forced_status, message)
        self._send_error(HTTPError(forced_status, message))
        return

      prompt_tokens = count_prompt_tokens(body)
      words = generated_words(completion_token_count(body, settings.tokens))
      prefix = "resp_" if responses else "chatcmpl-" if chat else "cmpl-"
      completion_id = prefix + uuid.uuid4().hex
      finish_reason = "length" if len(words) < settings.tokens else "stop"
      usage = {
        "prompt_tokens": prompt_tokens, "completion_tokens": len(words),
        "total_tokens": prompt_tokens + len(words),
      }
      span.set_attribute("gen_ai.response.model", model)
      span.set_attribute("gen_ai.response.id", completion_id)
      span.set_attribute("gen_ai.response.finish_reasons", [finish_reason])
      span.set_attribute("gen_ai.usage.input_tokens", prompt_tokens)
      span.set_attribute("gen_ai.usage.output_tokens", len(words))
      max_tokens = body.get(
        "max_output_tokens" if responses else "max_completion_tokens", body.get("max_tokens"))
      if isinstance(max_tokens, int) and not isinstance(max_tokens, bool):
        span.set_attribute("gen_ai.request.max_tokens", max_tokens)
      span.set_attribute("http.response.status_code", 200)

      if responses:
        answer = ResponsesAnswer(completion_id, model, words, finish_reason, usage)
        if stream:
          try:
            self._send_sse(answer.events(latency_ms, span))
          except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            span.set_status(Status(StatusCode.ERROR, "client closed the stream"))
        else:
          time.sleep(latency_ms / 1000)
          self._send_json(HTTPStatus.OK, answer.response(answer.status, done=True))
      elif stream:
        options = body.get("stream_options")
        include_usage = not (isinstance(options, dict) and options.get("include_usage") is False)
        events = self._stream_events(
          chat, completion_id, model, words, finish_reason, usage if include_usage else None,
          latency_ms, span,
        )
        try:
          self._send_sse(events)
        except (BrokenPipeError, ConnectionResetError):
          # The client (or Envoy) went away mid-stream: nothing more to send on this socket.
          self.close_connection = True
          span.set_status(Status(StatusCode.ERROR, "client closed the stream"))
      else:
        time.sleep(latency_ms / 1000)
        self._send_json(HTTPStatus.OK, self._full_response(
          chat, completion_id, model, " ".join(words), finish_reason, usage,
        ))

  def _stream_events(
    self, chat: bool, completion_id: str, model: str, words: list[str], finish_reason: str,
    usage: dict[str, int] | None, latency_ms: float, span: trace.Span,
  ) -> Iterator[bytes]:
    """The SSE events of a streamed answer; the latency is spread over the tokens."""
    created = int(time.time())
    kind = "chat.completion.chunk" if chat else "text_completion"
    delay = latency_ms / 1000 / max(1, len(words))

    def chunk(choices: list[dict[str, Any]], with_usage: dict[str, int] | None = None) -> bytes:
      event: dict[str, Any] = {
        "id": completion_id, "object": kind, "created": created, "model": model,
        "choices": choices,
      }
      if with_usage is not None:
        event["usage"] = with_usage
      return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"

    def choice(text: str, finish: str | None, role: bool = False) -> dict[str, Any]:
      if not chat:
        return {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
      delta: dict[str, Any] = {"role": "assistant", "content": text} if role else {"content": text}
      return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}

    if chat:
      yield chunk([choice("", None, role=True)])
    for index, word in enumerate(words):
      time.sleep(delay)
      if index == 0:
        span.add_event("gen_ai.first_token")
      yield chunk([choice(word if index == 0 else " " + word, None)])
    yield chunk([choice("", finish_reason)])
    if usage is not None:
      yield chunk([], usage)
    yield b"data: [DONE]\n\n"

  @staticmethod
  def _full_response(
    chat: bool, completion_id: str, model: str, text: str, finish_reason: str,
    usage: dict[str, int],
  ) -> dict[str, Any]:
    if chat:
      choice: dict[str, Any] = {
        "index": 0, "message": {"role": "assistant", "content": text},
        "logprobs": None, "finish_reason": finish_reason,
      }
    else:
      choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason}
    return {
      "id": completion_id, "object": "chat.completion" if chat else "text_completion",
      "created": int(time.time()), "model": model, "choices": [choice], "usage": usage,
    }

  @staticmethod
  def _fail_span(span: trace.Span, status: int, message: str) -> None:
    span.set_attribute("http.response.status_code", status)
    span.set_attribute("error.type", str(status))
    span.set_status(Status(StatusCode.ERROR, message))

  # MARK: - Test hooks

  def _forced_status(self) -> int | None:
    value = self.headers.get("x-stub-status")
    if value is None:
      return None
    try:
      status = int(value)
    except ValueError:
      raise HTTPError(HTTPStatus.BAD_REQUEST, f"x-stub-status is not a number: {value!r}")
    if not 100 <= status <= 599:
      raise HTTPError(HTTPStatus.BAD_REQUEST, f"x-stub-status out of range: {status}")
    return status

  def _latency_ms(self) -> float:
    value = self.headers.get("x-stub-latency-ms")
    if value is None:
      return self.server.settings.latency_ms
    try:
      latency = float(value)
    except ValueError:
      raise HTTPError(HTTPStatus.BAD_REQUEST, f"x-stub-latency-ms is not a number: {value!r}")
    if latency < 0:
      raise HTTPError(HTTPStatus.BAD_REQUEST, "x-stub-latency-ms must not be negative")
    return latency

  # MARK: - HTTP plumbing

  def _record(self, path: str, model: str | None, stream: bool, raw: bytes) -> None:
    self.server.request_log.append({
      "time": time.time(), "method": self.command, "path": path, "model": model,
      "stream": stream, "headers": {k.lower(): v for k, v in self.headers.items()},
      "body": raw.decode("utf-8", errors="replace"),
    })

  def _read_body(self) -> bytes:
    """Reads a body sent with Content-Length or chunked transfer encoding (Envoy uses either)."""
    encoding = self.headers.get("transfer-encoding", "").lower()
    if "chunked" in encoding:
      parts: list[bytes] = []
      while True:
        size_line = self.rfile.readline(1024)
        try:
          size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
          raise HTTPError(HTTPStatus.BAD_REQUEST, "malformed chunk size")
        if size == 0:
          while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
            pass  # trailers
          return b"".join(parts)
        parts.append(self.rfile.read(size))
        self.rfile.readline(1024)
    length = self.headers.get("content-length")
    if length is None:
      return b""
    try:
      return self.rfile.read(int(length))
    except ValueError:
      raise HTTPError(HTTPStatus.BAD_REQUEST, f"invalid content-length: {length!r}")

  def _common_headers(self) -> None:
    self.send_header("x-backend-name", self.server.settings.name)

  def _send_bytes(self, status: int, payload: bytes, content_type: str | None) -> None:
    self.send_response(status)
    self._common_headers()
    if content_type is not None:
      self.send_header("content-type", content_type)
    if status != HTTPStatus.NO_CONTENT:
      self.send_header("content-length", str(len(payload)))
    self.end_headers()
    self.wfile.write(payload)

  def _send_json(self, status: int, value: Any) -> None:
    self._send_bytes(status, json.dumps(value).encode(), "application/json")

  def _send_error(self, error: HTTPError) -> None:
    kind = "BadRequestError" if error.status < 500 else "InternalServerError"
    self._send_json(error.status, {
      "object": "error", "message": error.message, "type": kind, "param": None,
      "code": error.status,
    })

  def _send_sse(self, events: Iterator[bytes]) -> None:
    """Streams events with chunked transfer encoding, so the connection stays reusable."""
    self.send_response(HTTPStatus.OK)
    self._common_headers()
    self.send_header("content-type", "text/event-stream; charset=utf-8")
    self.send_header("cache-control", "no-cache")
    self.send_header("transfer-encoding", "chunked")
    self.end_headers()
    for event in events:
      self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
      self.wfile.flush()
    self.wfile.write(b"0\r\n\r\n")
    self.wfile.flush()

  def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base signature)
    if self.server.settings.verbose:
      super().log_message(format, *args)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
  env = os.environ
  parser = argparse.ArgumentParser(description="A vLLM-compatible stub server with tracing.")
  parser.add_argument("--host", default=env.get("VLLM_STUB_HOST", "0.0.0.0"))
  parser.add_argument("--port", type=int, default=int(env.get("VLLM_STUB_PORT", "8000")),
                      help="0 picks a free port; the chosen one is printed")
  parser.add_argument("--model", default=env.get("VLLM_STUB_MODEL", "stub-model"),
                      help="served model name (answers use the request's model when given)")
  parser.add_argument("--name", default=env.get("VLLM_STUB_NAME", socket.gethostname()),
                      help="backend name, echoed in the x-backend-name response header")
  parser.add_argument("--latency-ms", type=float,
                      default=float(env.get("VLLM_STUB_LATENCY_MS", "20")),
                      help="time to produce a whole answer (spread over tokens when streaming)")
  parser.add_argument("--tokens", type=int, default=int(env.get("VLLM_STUB_TOKENS", "16")),
                      help="completion tokens per answer (capped by the request's max_tokens)")
  parser.add_argument("--otlp-endpoint", default=env.get("OTEL_EXPORTER_OTLP_ENDPOINT"),
                      help="OTLP/gRPC collector, e.g. http://localhost:4317; no export if unset")
  parser.add_argument("--service-name", default=env.get("OTEL_SERVICE_NAME", "vllm"))
  parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
  parser.add_argument("--no-responses", action="store_true",
                      default=env.get("VLLM_STUB_NO_RESPONSES") == "1",
                      help="do not serve /v1/responses (answer 404), like an older backend")
  args = parser.parse_args(argv)
  if args.tokens < 0 or args.latency_ms < 0:
    parser.error("--tokens and --latency-ms must not be negative")
  return args


def main(argv: list[str] | None = None) -> int:
  settings = StubSettings(parse_arguments(argv))
  tracer, provider = make_tracer(settings)
  server = StubServer(settings, tracer)

  def stop(signum: int, _frame: Any) -> None:
    # shutdown() waits for serve_forever() to return, so it must run off the serving thread.
    threading.Thread(target=server.shutdown, daemon=True).start()

  signal.signal(signal.SIGTERM, stop)
  signal.signal(signal.SIGINT, stop)
  host, port = server.server_address[:2]
  exporting = settings.otlp_endpoint or "off"
  print(f"vllm-stub {settings.name} serving {settings.model} on http://{host}:{port} "
        f"(otlp: {exporting})", flush=True)
  try:
    server.serve_forever(poll_interval=0.2)
  finally:
    server.server_close()
    provider.shutdown()  # flushes the batch processor's queue
  return 0


if __name__ == "__main__":
  sys.exit(main())
