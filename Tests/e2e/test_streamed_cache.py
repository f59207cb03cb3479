"""Streamed answers in the semantic cache through the real stack: stub vLLMs → Envoy 1.40 →
`semantic-router serve` with the shipped config.

A `stream: true` chat answer is assembled by the router as it passes and stored; the same
question asked again without `stream` gets it as JSON, and with `stream` as an event stream,
both from the cache and with the content the backend streamed.
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import e2e_stack

QUESTION = "Why does the moon show phases when it orbits the earth?"


def events(body: bytes) -> list[dict]:
  """The JSON data events of an event stream ([DONE] last, as None)."""
  result = []
  for block in body.decode().split("\n\n"):
    for line in block.splitlines():
      if line.startswith("data: "):
        data = line[len("data: "):]
        result.append(None if data == "[DONE]" else json.loads(data))
  return result


def streamed_content(body: bytes) -> tuple[str, str | None]:
  """The content deltas of a chat event stream joined, and the last finish reason."""
  content, finish = "", None
  for event in events(body):
    for choice in (event or {}).get("choices", []):
      content += choice.get("delta", {}).get("content") or ""
      finish = choice.get("finish_reason") or finish
  return content, finish


def ask(conn: http.client.HTTPConnection, port: int, stream: bool):
  status, headers, body = e2e_stack.post_chat(
    port, {"model": "auto", "stream": stream,
           "messages": [{"role": "user", "content": QUESTION}]}, conn=conn)
  assert status == 200, body[:300]
  return headers, body


def test_a_streamed_answer_is_replayed_from_the_cache_as_json_and_as_a_stream(
  tmp_path: Path, backends,
) -> None:
  config = e2e_stack.write_router_config(
    tmp_path / "router-config.yaml", e2e_stack.endpoints_of(backends))
  with e2e_stack.RoutedStack(config) as routed:
    port = routed.envoy.port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    first_headers, first = ask(conn, port, stream=True)
    assert "x-vsr-cache-hit" not in first_headers
    assert first_headers["content-type"].startswith("text/event-stream")
    content, finish = streamed_content(first)
    assert content and finish, first[:300]
    served = sum(len(backend.stub.debug_requests()) for backend in backends)

    json_headers, json_body = ask(conn, port, stream=False)
    assert json_headers.get("x-vsr-cache-hit") == "true"
    assert json_headers["content-type"] == "application/json"
    answer = json.loads(json_body)
    assert answer["choices"][0]["message"]["content"] == content
    assert answer["choices"][0]["finish_reason"] == finish
    assert answer["usage"]["completion_tokens"] > 0

    sse_headers, sse_body = ask(conn, port, stream=True)
    assert sse_headers.get("x-vsr-cache-hit") == "true"
    assert sse_headers["content-type"] == "text/event-stream"
    assert streamed_content(sse_body) == (content, finish)
    assert events(sse_body)[-1] is None
    conn.close()
    # Both hits were answered by the router: no backend saw another request.
    assert sum(len(backend.stub.debug_requests()) for backend in backends) == served
