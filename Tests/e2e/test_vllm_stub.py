"""The stub vLLM speaks the OpenAI wire format and traces like vLLM: checked over real sockets,
with its spans decoded by an independent OTLP/gRPC receiver."""

from __future__ import annotations

import http.client
import json
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

import pytest

from otlp_receiver import OTLPReceiver, ReceivedSpan
from vllm_stub_process import VLLMStubProcess

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
TOKENS = 6


@pytest.fixture(scope="module")
def stub(receiver: OTLPReceiver) -> Iterator[VLLMStubProcess]:
  with VLLMStubProcess(
    name="backend-a", model="served-model", otlp_url=receiver.url, tokens=TOKENS,
  ) as stub:
    yield stub


def post(
  stub: VLLMStubProcess, path: str, body: Any, headers: dict[str, str] | None = None,
  connection: http.client.HTTPConnection | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
  conn = connection or http.client.HTTPConnection("127.0.0.1", stub.port, timeout=10)
  payload = body if isinstance(body, bytes) else json.dumps(body).encode()
  conn.request("POST", path, payload, {"content-type": "application/json", **(headers or {})})
  response = conn.getresponse()
  data = response.read()
  if connection is None:
    conn.close()
  return response, data


def sse_events(data: bytes) -> list[str]:
  """Splits a Server-Sent Events body into its `data:` payloads, checking the framing."""
  text = data.decode()
  assert text.endswith("\n\n"), "an SSE stream ends with a blank line"
  events = text[:-2].split("\n\n")
  assert all(e.startswith("data: ") for e in events), events
  return [e[len("data: "):] for e in events]


def chat(content: str, **extra: Any) -> dict[str, Any]:
  return {"model": "llama-test", "messages": [{"role": "user", "content": content}], **extra}


def traceparent(trace_id: str = TRACE_ID, parent: str = PARENT_ID, flags: str = "01") -> str:
  return f"00-{trace_id}-{parent}-{flags}"


def generate_span(receiver: OTLPReceiver, trace_id: str) -> ReceivedSpan:
  spans = receiver.wait_for_spans(
    1, lambda s: s.trace_id == trace_id and s.name == "vllm.generate",
  )
  assert len(spans) == 1
  return spans[0]


# MARK: - Wire format


def test_chat_completion_json_reports_model_text_and_usage(stub: VLLMStubProcess) -> None:
  response, data = post(stub, "/v1/chat/completions", chat("what is the speed of light"))
  assert response.status == 200
  assert response.getheader("content-type") == "application/json"
  assert response.getheader("x-backend-name") == "backend-a"
  body = json.loads(data)
  assert body["object"] == "chat.completion"
  assert body["model"] == "llama-test"
  [choice] = body["choices"]
  assert choice["message"]["role"] == "assistant"
  assert len(choice["message"]["content"].split()) == TOKENS
  assert choice["finish_reason"] == "stop"
  assert body["usage"] == {"prompt_tokens": 6, "completion_tokens": TOKENS, "total_tokens": 12}


def test_request_without_model_is_answered_by_the_served_model(stub: VLLMStubProcess) -> None:
  _, data = post(stub, "/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}]})
  assert json.loads(data)["model"] == "served-model"


def test_max_tokens_caps_the_completion_and_reports_length(stub: VLLMStubProcess) -> None:
  _, data = post(stub, "/v1/completions", {"model": "m", "prompt": "one two", "max_tokens": 2})
  body = json.loads(data)
  assert body["object"] == "text_completion"
  assert len(body["choices"][0]["text"].split()) == 2
  assert body["choices"][0]["finish_reason"] == "length"
  assert body["usage"] == {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4}


def test_streamed_chat_sends_deltas_then_usage_then_done(stub: VLLMStubProcess) -> None:
  response, data = post(stub, "/v1/chat/completions", chat("stream me", stream=True))
  assert response.status == 200
  assert response.getheader("content-type").startswith("text/event-stream")
  events = sse_events(data)
  assert events[-1] == "[DONE]"
  chunks = [json.loads(e) for e in events[:-1]]
  assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
  assert len({c["id"] for c in chunks}) == 1
  assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
  *content_chunks, usage_chunk = chunks
  text = "".join(c["choices"][0]["delta"].get("content", "") for c in content_chunks)
  assert len(text.split()) == TOKENS
  assert content_chunks[-1]["choices"][0]["finish_reason"] == "stop"
  assert usage_chunk["choices"] == []
  assert usage_chunk["usage"] == {
    "prompt_tokens": 2, "completion_tokens": TOKENS, "total_tokens": 2 + TOKENS,
  }


def test_streamed_chat_omits_usage_only_when_the_client_refuses_it(stub: VLLMStubProcess) -> None:
  _, data = post(stub, "/v1/chat/completions",
                 chat("x", stream=True, stream_options={"include_usage": False}))
  chunks = [json.loads(e) for e in sse_events(data)[:-1]]
  assert all("usage" not in c and c["choices"] for c in chunks)


def test_streamed_completion_uses_text_choices(stub: VLLMStubProcess) -> None:
  _, data = post(stub, "/v1/completions", {"model": "m", "prompt": "a b c", "stream": True})
  events = sse_events(data)
  chunks = [json.loads(e) for e in events[:-1]]
  text = "".join(c["choices"][0]["text"] for c in chunks if c["choices"])
  assert len(text.split()) == TOKENS
  assert chunks[-1]["usage"]["prompt_tokens"] == 3


def test_one_keep_alive_connection_serves_json_sse_and_chunked_requests(
  stub: VLLMStubProcess,
) -> None:
  conn = http.client.HTTPConnection("127.0.0.1", stub.port, timeout=10)
  try:
    first, _ = post(stub, "/v1/chat/completions", chat("a", stream=True), connection=conn)
    assert first.getheader("transfer-encoding") == "chunked"
    second, data = post(stub, "/v1/chat/completions", chat("b c"), connection=conn)
    assert json.loads(data)["usage"]["prompt_tokens"] == 2
    # A body without content-length, as Envoy forwards one whose length a filter changed.
    body = json.dumps(chat("d e f")).encode()
    conn.putrequest("POST", "/v1/chat/completions")
    conn.putheader("transfer-encoding", "chunked")
    conn.endheaders()
    conn.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    third = conn.getresponse()
    assert json.loads(third.read())["usage"]["prompt_tokens"] == 3
    assert first.will_close is False and second.will_close is False
  finally:
    conn.close()


def test_responses_api_json_and_events(stub: VLLMStubProcess) -> None:
  body = {"model": "m", "instructions": "Be brief.", "input": [
    {"role": "user", "content": [{"type": "input_text", "text": "one two three"}]}]}
  response, data = post(stub, "/v1/responses", body)
  assert response.status == 200
  answer = json.loads(data)
  assert (answer["object"], answer["status"], answer["model"]) == ("response", "completed", "m")
  [part] = answer["output"][0]["content"]
  assert part["type"] == "output_text" and len(part["text"].split()) == TOKENS
  assert (answer["usage"]["input_tokens"], answer["usage"]["output_tokens"]) == (5, TOKENS)

  response, data = post(stub, "/v1/responses", {**body, "stream": True, "max_output_tokens": 2})
  assert response.getheader("content-type").startswith("text/event-stream")
  blocks = data.decode().strip().split("\n\n")
  names = [block.split("\n")[0].removeprefix("event: ") for block in blocks]
  events = [json.loads(block.split("\n")[1].removeprefix("data: ")) for block in blocks]
  assert names == [e["type"] for e in events]
  assert [e["sequence_number"] for e in events] == list(range(len(events)))
  assert names[:4] == ["response.created", "response.in_progress",
                       "response.output_item.added", "response.content_part.added"]
  assert names.count("response.output_text.delta") == 2
  assert names[-1] == "response.incomplete"
  assert events[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


def test_responses_api_is_404_when_turned_off() -> None:
  with VLLMStubProcess(name="old", serves_responses=False) as old:
    response, _ = post(old, "/v1/responses", {"model": "m", "input": "hi"})
    assert response.status == 404
    response, _ = post(old, "/v1/chat/completions", {"model": "m", "messages": []})
    assert response.status == 200


def test_models_and_health_endpoints(stub: VLLMStubProcess) -> None:
  conn = http.client.HTTPConnection("127.0.0.1", stub.port, timeout=10)
  conn.request("GET", "/v1/models")
  models = json.loads(conn.getresponse().read())
  assert [m["id"] for m in models["data"]] == ["served-model"]
  conn.request("GET", "/health")
  health = conn.getresponse()
  assert (health.status, health.read()) == (200, b"")
  conn.close()


def test_bad_json_and_unknown_paths_get_openai_style_errors(stub: VLLMStubProcess) -> None:
  response, data = post(stub, "/v1/chat/completions", b"{not json")
  assert response.status == 400
  assert json.loads(data)["object"] == "error"
  response, _ = post(stub, "/v1/embeddings", {"input": "x"})
  assert response.status == 404


def test_debug_requests_show_model_path_and_trace_headers(stub: VLLMStubProcess) -> None:
  stub.clear_debug_requests()
  post(stub, "/v1/chat/completions", chat("x"), {"traceparent": traceparent(flags="00")})
  [seen] = stub.debug_requests()
  assert seen["path"] == "/v1/chat/completions"
  assert seen["model"] == "llama-test"
  assert seen["headers"]["traceparent"] == traceparent(flags="00")


# MARK: - Tracing


def test_traceparent_is_continued_by_a_vllm_generate_span(
  stub: VLLMStubProcess, receiver: OTLPReceiver,
) -> None:
  trace_id = "11111111111111111111111111111111"
  post(stub, "/v1/chat/completions", chat("name three planets"),
       {"traceparent": traceparent(trace_id)})
  span = generate_span(receiver, trace_id)
  assert span.parent_span_id == PARENT_ID
  assert span.kind == "SERVER"
  assert span.status_code == "UNSET"
  assert span.attributes["gen_ai.operation.name"] == "chat"
  assert span.attributes["gen_ai.request.model"] == "llama-test"
  assert span.attributes["gen_ai.response.model"] == "llama-test"
  assert span.attributes["gen_ai.usage.input_tokens"] == 3
  assert span.attributes["gen_ai.usage.output_tokens"] == TOKENS
  assert span.attributes["http.response.status_code"] == 200
  assert span.service_name == "vllm"
  assert span.resource["service.instance.id"] == "backend-a"
  assert span.flags & 0x300 == 0x300  # the parent is known to be remote


def test_streamed_generation_span_counts_tokens_and_marks_first_token(
  stub: VLLMStubProcess, receiver: OTLPReceiver,
) -> None:
  trace_id = "22222222222222222222222222222222"
  post(stub, "/v1/chat/completions", chat("x y", stream=True, max_tokens=3),
       {"traceparent": traceparent(trace_id)})
  span = generate_span(receiver, trace_id)
  assert span.attributes["gen_ai.usage.input_tokens"] == 2
  assert span.attributes["gen_ai.usage.output_tokens"] == 3
  assert span.attributes["gen_ai.request.max_tokens"] == 3
  assert [e.name for e in span.events] == ["gen_ai.first_token"]


def test_unsampled_parent_gives_no_span(stub: VLLMStubProcess, receiver: OTLPReceiver) -> None:
  unsampled = "33333333333333333333333333333333"
  sampled = "44444444444444444444444444444444"
  post(stub, "/v1/chat/completions", chat("x"), {"traceparent": traceparent(unsampled, flags="00")})
  post(stub, "/v1/chat/completions", chat("x"), {"traceparent": traceparent(sampled)})
  generate_span(receiver, sampled)  # exported after the unsampled one would have been
  assert receiver.trace(unsampled) == []


def test_request_without_traceparent_starts_a_new_trace(
  stub: VLLMStubProcess, receiver: OTLPReceiver,
) -> None:
  before = {s.span_id for s in receiver.spans()}
  post(stub, "/v1/completions", {"model": "m", "prompt": "hello"})
  [span] = receiver.wait_for_spans(1, lambda s: s.span_id not in before and s.is_root)
  assert span.attributes["gen_ai.operation.name"] == "text_completion"
  assert len(span.trace_id) == 32 and span.trace_id != "0" * 32


def test_forced_error_status_is_answered_and_marks_the_span(
  stub: VLLMStubProcess, receiver: OTLPReceiver,
) -> None:
  trace_id = "55555555555555555555555555555555"
  response, data = post(stub, "/v1/chat/completions", chat("x"),
                        {"traceparent": traceparent(trace_id), "x-stub-status": "503"})
  assert response.status == 503
  assert json.loads(data)["code"] == 503
  span = generate_span(receiver, trace_id)
  assert span.status_code == "ERROR"
  assert span.attributes["http.response.status_code"] == 503


def test_sigterm_flushes_queued_spans(receiver: OTLPReceiver) -> None:
  trace_id = "66666666666666666666666666666666"
  stub = VLLMStubProcess(
    name="flush", otlp_url=receiver.url, env={"OTEL_BSP_SCHEDULE_DELAY": "600000"},
  )
  try:
    post(stub, "/v1/chat/completions", chat("x"), {"traceparent": traceparent(trace_id)})
    assert receiver.trace(trace_id) == []  # still queued: the batch delay is ten minutes
    assert stub.terminate() == 0
    span = generate_span(receiver, trace_id)
    assert span.resource["service.instance.id"] == "flush"
  finally:
    stub.stop()


def test_concurrent_requests_are_served_in_parallel() -> None:
  # Each request sleeps ten minutes before answering, and the stub records a request when it
  # arrives: all ten on record at once (and /debug/requests answered meanwhile) is only possible
  # when they are served in parallel. The stub is stopped with them still sleeping.
  with VLLMStubProcess(name="slow", latency_ms=600_000) as stub:
    connections = []
    try:
      for _ in range(10):
        conn = http.client.HTTPConnection("127.0.0.1", stub.port, timeout=30)
        conn.request("POST", "/v1/chat/completions", json.dumps(chat("x")).encode(),
                     {"content-type": "application/json"})
        connections.append(conn)
      deadline = time.monotonic() + 30
      while len(stub.debug_requests()) < 10:
        assert time.monotonic() < deadline, f"in flight: {len(stub.debug_requests())} of 10"
        time.sleep(0.02)
    finally:
      for conn in connections:
        conn.close()


def test_client_leaving_mid_stream_ends_the_span_with_an_error(receiver: OTLPReceiver) -> None:
  trace_id = "77777777777777777777777777777777"
  with VLLMStubProcess(name="leaver", otlp_url=receiver.url, tokens=50, latency_ms=2000) as stub:
    sock = socket.create_connection(("127.0.0.1", stub.port), timeout=5)
    body = json.dumps(chat("x", stream=True)).encode()
    sock.sendall(
      b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
      b"traceparent: " + traceparent(trace_id).encode() + b"\r\n"
      b"content-length: %d\r\n\r\n%s" % (len(body), body)
    )
    assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # RST: the stub's next write fails
    span = generate_span(receiver, trace_id)
    assert span.status_code == "ERROR"
    assert span.status_message == "client closed the stream"
    # The stub is still healthy afterwards.
    assert post(stub, "/v1/chat/completions", chat("y"))[0].status == 200
