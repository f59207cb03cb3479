"""End to end: the Responses API, the Anthropic Messages API and the model list, with the real
`openai` and `anthropic` Python clients → real Envoy 1.40 → the semantic router → stub vLLMs,
every service exporting spans to one OTLP/gRPC receiver.

Model A's stubs serve `/v1/responses` and are configured with `apis: [chat_completions,
responses]`; model B's stubs do not (`--no-responses`, `apis: [chat_completions]`), so a
Responses request routed to model B, and every Messages request, is translated to chat
completions and back. Per request the tests check where it landed (path and model on the stub),
that the client parsed the answer (text and usage), one connected trace from the client's span
through the router's to the backend's, and the token counts on the router's spans.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
import yaml
from opentelemetry.propagate import inject

import e2e_stack
import openai_tracing
from e2e_stack import BACKEND_SPAN, ROOT_SPAN, ROUTER_SPANS, UPSTREAM_SPAN
from otlp_receiver import OTLPReceiver, ReceivedSpan
from vllm_stub_process import VLLMStubProcess

TOKENS = 12
MODEL_A, MODEL_B = (m["name"] for m in e2e_stack.default_models()[:2])
#: What the stub generates: its first TOKENS words.
STUB_WORDS = "This is a stub completion from a local vLLM stand-in used to test".split()[:TOKENS]
#: A prompt the router sends to each model with "auto".
PROMPT_FOR = {
  MODEL_A: "Solve the equation 3x + 7 = 22 and check the solution",
  MODEL_B: "How can a small company improve its quarterly cash flow",
}


# MARK: - Fixtures


@pytest.fixture(scope="module")
def stack(tmp_path_factory, receiver):
  """One stub per model (A serves /v1/responses, B does not), the router and Envoy."""
  with ExitStack() as running:
    stubs = {
      MODEL_A: running.enter_context(VLLMStubProcess(
        name="model-a-1", model=MODEL_A, otlp_url=receiver.url, tokens=TOKENS)),
      MODEL_B: running.enter_context(VLLMStubProcess(
        name="model-b-1", model=MODEL_B, otlp_url=receiver.url, tokens=TOKENS,
        serves_responses=False)),
    }
    path = e2e_stack.write_router_config(
      tmp_path_factory.mktemp("apis") / "router-config.yaml",
      {model: [(stub.name, stub.port)] for model, stub in stubs.items()},
      tracing=e2e_stack.tracing_section(receiver.endpoint), cache=False)
    config = yaml.safe_load(Path(path).read_text())
    config["models"][0]["apis"] = ["chat_completions", "responses"]
    config["models"][1]["apis"] = ["chat_completions"]
    Path(path).write_text(yaml.safe_dump(config, sort_keys=False))
    routed = running.enter_context(e2e_stack.RoutedStack(path))
    yield routed, stubs


@pytest.fixture(scope="module")
def provider(receiver):
  """The clients' tracer provider (exporting to the receiver), the OpenAI client instrumented."""
  return openai_tracing.client_provider(receiver.url)


# MARK: - Helpers


def landed(stubs: dict[str, VLLMStubProcess], trace_id: str) -> list[tuple[str, dict[str, Any]]]:
  """(model, request record) of every request a stub received within this trace."""
  found = []
  for model, stub in stubs.items():
    for record in stub.debug_requests():
      traceparent = record["headers"].get("traceparent", "")
      if traceparent.split("-")[1:2] == [trace_id]:
        found.append((model, record))
  return found


def connected_trace(receiver: OTLPReceiver, trace_id: str, names: list[str]) -> dict[str, Any]:
  """Waits for the trace, checks it is one tree (one root, every parent present), and returns
  its spans by name (each name once)."""
  # The semantic cache is off here, so there is no cache lookup span.
  router_spans = [name for name in ROUTER_SPANS if name != "semantic_router.cache.lookup"]
  spans = receiver.wait_for_trace(trace_id, ["e2e.request", *router_spans, BACKEND_SPAN, *names])
  ids = {s.span_id for s in spans}
  roots = [s for s in spans if s.is_root]
  assert [s.name for s in roots] == ["e2e.request"]
  orphans = [s.name for s in spans if not s.is_root and s.parent_span_id not in ids]
  assert not orphans, f"spans whose parent is not in the trace: {orphans}"
  by_name: dict[str, ReceivedSpan] = {}
  for span in spans:
    assert span.name not in by_name, f"two spans named {span.name}"
    by_name[span.name] = span
  return by_name


def check_router_spans(spans: dict[str, ReceivedSpan], api: str, translated: bool,
                       model: str, input_tokens: int, output_tokens: int) -> None:
  root, upstream = spans[ROOT_SPAN], spans[UPSTREAM_SPAN]
  assert root.attributes["semantic_router.api"] == api
  assert root.attributes["gen_ai.operation.name"] == "chat"
  assert root.attributes["routing.selected_model"] == model
  assert upstream.attributes["semantic_router.api.translated"] is translated
  assert upstream.attributes["semantic_router.api"] == ("chat_completions" if translated else api)
  for span in (root, upstream):
    assert span.attributes["gen_ai.usage.input_tokens"] == input_tokens, span.name
    assert span.attributes["gen_ai.usage.output_tokens"] == output_tokens, span.name
  assert spans[BACKEND_SPAN].parent_span_id == upstream.span_id


# MARK: - Tests


def test_model_list_is_the_routers_own_answer(stack) -> None:
  routed, stubs = stack
  client = openai.OpenAI(base_url=routed.url + "/v1", api_key="e2e", max_retries=0)
  assert [m.id for m in client.models.list()] == [MODEL_A, MODEL_B, "auto"]
  auto = client.models.retrieve("auto")
  assert (auto.id, auto.object, auto.owned_by) == ("auto", "model", "semantic-router")
  assert client.models.retrieve(MODEL_B).owned_by == "vllm"
  with pytest.raises(openai.NotFoundError) as error:
    client.models.retrieve("gpt-9")
  assert error.value.code == "model_not_found"
  assert not any(r["method"] == "GET" for s in stubs.values() for r in s.debug_requests())


@pytest.mark.parametrize("model", [MODEL_A, MODEL_B])
@pytest.mark.parametrize("stream", [False, True])
def test_responses_api_is_routed_and_answered_natively_or_translated(
  stack, receiver, provider, model: str, stream: bool,
) -> None:
  routed, stubs = stack
  client = openai.OpenAI(base_url=routed.url + "/v1", api_key="e2e", max_retries=0, timeout=30)
  prompt = f"{PROMPT_FOR[model]} (responses, stream={stream})"
  with provider.get_tracer("e2e").start_as_current_span("e2e.request") as span:
    trace_id = f"{span.get_span_context().trace_id:032x}"
    # The OpenAI instrumentation records `openai.response` but, unlike its chat span, puts no
    # traceparent on the request: the caller's context goes with the request instead.
    headers: dict[str, str] = {}
    inject(headers)
    if stream:
      events = list(client.responses.create(
        model="auto", input=prompt, instructions="Answer briefly.", stream=True,
        extra_headers=headers))
      types = [e.type for e in events]
      assert types[0] == "response.created" and types[-1] == "response.completed"
      text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
      response = events[-1].response
      assert response.output_text == text
    else:
      response = client.responses.create(
        model="auto", input=[{"role": "user", "content": prompt}],
        instructions="Answer briefly.", extra_headers=headers)
      text = response.output_text
  assert text.split() == STUB_WORDS
  assert response.model == model and response.status == "completed"
  input_tokens = len(prompt.split()) + 2  # the two words of the instructions
  assert (response.usage.input_tokens, response.usage.output_tokens) == (input_tokens, TOKENS)

  translated = model == MODEL_B
  [(landed_model, record)] = landed(stubs, trace_id)
  assert landed_model == model and record["model"] == model
  assert record["path"] == ("/v1/chat/completions" if translated else "/v1/responses")
  spans = connected_trace(receiver, trace_id, ["openai.response"])
  assert spans["openai.response"].parent_span_id == spans["e2e.request"].span_id
  assert spans[ROOT_SPAN].parent_span_id == spans["e2e.request"].span_id
  check_router_spans(spans, "responses", translated, model, input_tokens, TOKENS)
  if stream:
    assert any(e.name == "gen_ai.first_token" for e in spans[UPSTREAM_SPAN].events)


@pytest.mark.parametrize("stream", [False, True])
def test_messages_api_is_translated_for_backends_without_it(
  stack, receiver, provider, stream: bool,
) -> None:
  routed, stubs = stack
  client = anthropic.Anthropic(
    base_url=routed.url, api_key="e2e", max_retries=0, timeout=30,
    open_telemetry={"tracer_provider": provider, "traces": True})
  prompt = f"{PROMPT_FOR[MODEL_A]} (messages, stream={stream})"
  arguments: dict[str, Any] = {
    "model": "auto", "max_tokens": 64, "system": "Answer briefly.",
    "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
  }
  with provider.get_tracer("e2e").start_as_current_span("e2e.request") as span:
    trace_id = f"{span.get_span_context().trace_id:032x}"
    if stream:
      events = list(client.messages.create(stream=True, **arguments))
      types = [e.type for e in events]
      assert types[:2] == ["message_start", "content_block_start"]
      assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
      text = "".join(e.delta.text for e in events if e.type == "content_block_delta")
      model = events[0].message.model
      delta = next(e for e in events if e.type == "message_delta")
      stop_reason, output_tokens = delta.delta.stop_reason, delta.usage.output_tokens
      input_tokens = delta.usage.input_tokens
    else:
      message = client.messages.create(**arguments)
      assert message.type == "message" and message.role == "assistant"
      text = "".join(block.text for block in message.content if block.type == "text")
      model, stop_reason = message.model, message.stop_reason
      input_tokens, output_tokens = message.usage.input_tokens, message.usage.output_tokens
  assert text.split() == STUB_WORDS
  assert (model, stop_reason) == (MODEL_A, "end_turn")
  expected_input = len(prompt.split()) + 2
  assert (input_tokens, output_tokens) == (expected_input, TOKENS)

  [(landed_model, record)] = landed(stubs, trace_id)
  assert landed_model == MODEL_A and record["path"] == "/v1/chat/completions"
  assert record["stream"] is stream
  spans = connected_trace(receiver, trace_id, [])
  client_spans = [s for s in spans.values() if s.scope_name == "com.anthropic.sdk.python"]
  assert len(client_spans) == 1 and client_spans[0].kind == "CLIENT"
  assert spans[ROOT_SPAN].parent_span_id == client_spans[0].span_id
  check_router_spans(spans, "messages", True, MODEL_A, expected_input, TOKENS)


def test_messages_api_refuses_what_a_translation_would_lose(stack) -> None:
  routed, _ = stack
  client = anthropic.Anthropic(base_url=routed.url, api_key="e2e", max_retries=0)
  with pytest.raises(anthropic.BadRequestError) as error:
    client.messages.create(
      model="auto", max_tokens=16, messages=[{"role": "user", "content": "What is 2+2?"}],
      tools=[{"name": "add", "input_schema": {"type": "object", "properties": {}}}])
  assert error.value.body["error"]["type"] == "invalid_request_error"
  assert "tools" in error.value.body["error"]["message"]


@pytest.mark.parametrize("model", [MODEL_A, MODEL_B])
def test_stream_helpers_accumulate_the_final_answer(stack, model: str) -> None:
  """The clients' stricter stream helpers rebuild the answer from the events: every event must
  name the item, output and content index it belongs to, in order."""
  routed, _ = stack
  client = openai.OpenAI(base_url=routed.url + "/v1", api_key="e2e", max_retries=0, timeout=30)
  with client.responses.stream(model="auto", input=PROMPT_FOR[model] + " (helper)") as stream:
    final = stream.get_final_response()
  assert final.model == model and final.output_text.split() == STUB_WORDS
  assert final.usage.output_tokens == TOKENS

  messages = anthropic.Anthropic(base_url=routed.url, api_key="e2e", max_retries=0, timeout=30)
  prompt = PROMPT_FOR[model] + " (helper)"
  with messages.messages.stream(
    model="auto", max_tokens=64, messages=[{"role": "user", "content": prompt}],
  ) as stream:
    message = stream.get_final_message()
  assert message.model == model and message.content[0].text.split() == STUB_WORDS
  assert (message.usage.input_tokens, message.usage.output_tokens) == (
    len(prompt.split()), TOKENS)
