"""Logs joined to traces: with `observability.logging.format: json` every router log line is a
JSON object with `timestamp`, `level`, `message` and `service.name`, and lines about a request
carry `trace_id` and `span_id` of its router span; the access log (`observability.access_log`)
writes one JSON line per routed request. Both are read back and joined, by trace id, to the
spans a real OTLP receiver got from the same run.
"""

from __future__ import annotations

import json
import subprocess
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml

import e2e_stack
import stack
from e2e_stack import ROOT_SPAN, RoutedStack, post_chat
from otlp_receiver import OTLPReceiver, ReceivedSpan

SERVICE = "vllm-semantic-router-logs"


def chat(text: str, model: str = "auto", **extra: Any) -> dict[str, Any]:
  return {"model": model, "messages": [{"role": "user", "content": text}], **extra}


def json_lines(text: str) -> list[dict[str, Any]]:
  """Every non-empty line as a JSON object (a line that is not one fails the test)."""
  return [json.loads(line) for line in text.splitlines() if line.strip()]


def with_logging(config: Path, logging: dict[str, Any]) -> Path:
  """Adds `logging` (observability.logging / access_log entries) to a written router config."""
  document = yaml.safe_load(config.read_text())
  document["observability"].update(logging)
  config.write_text(yaml.safe_dump(document, sort_keys=False))
  return config


@pytest.fixture
def traced_stack(tmp_path: Path):
  """Backends, a router with JSON logs and an access-log file, tracing to a receiver, Envoy."""
  with ExitStack() as exit_stack:
    receiver = exit_stack.enter_context(OTLPReceiver())
    backends = e2e_stack.start_backends(exit_stack, otlp_url=None, tokens=6)
    access_log = tmp_path / "access.log"
    config = with_logging(
      e2e_stack.write_router_config(
        tmp_path / "router.yaml", e2e_stack.endpoints_of(backends),
        tracing=e2e_stack.tracing_section(
          f"127.0.0.1:{receiver.port}", service_name=SERVICE)),
      {"logging": {"format": "json"},
       "access_log": {"enabled": True, "path": str(access_log)}})
    routed = exit_stack.enter_context(RoutedStack(config, with_admin=True))
    yield routed, receiver, access_log


def roots_by_trace(receiver: OTLPReceiver, count: int) -> dict[str, ReceivedSpan]:
  roots = receiver.wait_for_spans(count, lambda s: s.name == ROOT_SPAN)
  return {span.trace_id: span for span in roots}


def test_json_log_lines_about_a_request_name_its_router_span(traced_stack) -> None:
  routed, receiver, _ = traced_stack
  port = routed.envoy.port
  status, _, _ = post_chat(port, chat("hello", model="no-such-model"))
  assert status == 404
  status, _, _ = post_chat(port, {"model": "auto", "messages": "not a list"})
  assert status == 400
  assert routed.stop_router() == 0  # flushes the spans
  roots = roots_by_trace(receiver, 2)

  lines = json_lines(routed.router.log())
  for line in lines:
    assert {"timestamp", "level", "message", "service.name"} <= set(line), line
    assert line["service.name"] == SERVICE
    assert line["timestamp"].endswith("Z") and "T" in line["timestamp"]
  messages = {line["message"] for line in lines}
  assert "semantic-router ready" in messages
  about_requests = [line for line in lines if "trace_id" in line]
  rejected = {line["message"] for line in about_requests}
  assert rejected == {"rejected request for unknown model", "rejected invalid request"}
  for line in about_requests:
    root = roots[line["trace_id"]]  # a log line's trace is a trace the receiver got
    assert line["span_id"] == root.span_id
    assert len(line["trace_id"]) == 32 and len(line["span_id"]) == 16
  # Lines not about a request carry no ids.
  assert all("trace_id" not in line for line in lines if line["message"] == "semantic-router ready")


def test_access_log_has_one_line_per_routed_request_joined_to_its_trace(traced_stack) -> None:
  routed, receiver, access_log = traced_stack
  port = routed.envoy.port
  question = chat("Solve the integral of x^2 from 0 to 3")
  assert post_chat(port, question)[0] == 200
  assert post_chat(port, question)[0] == 200  # the same question: a cache hit
  assert post_chat(port, chat("Write a python function that sorts a list", stream=True))[0] == 200
  assert post_chat(port, chat("hi", model="no-such-model"))[0] == 404
  assert "semantic_router_access_log_dropped_total 0\n" in routed.metrics()
  assert routed.stop_router() == 0  # writes the queued lines, flushes the spans
  roots = roots_by_trace(receiver, 4)

  entries = json_lines(access_log.read_text())
  assert len(entries) == 4
  assert {entry["trace_id"] for entry in entries} == set(roots)
  for entry in entries:
    root = roots[entry["trace_id"]]
    assert entry["span_id"] == root.span_id
    assert entry["path"] == "/v1/chat/completions"
    assert entry["duration_ms"] >= 0
    if "category" in entry:
      assert entry["category"] == root.attributes["category.name"]
    if "model" in entry:
      assert entry["model"] == root.attributes["routing.selected_model"]
  first, hit, streamed, unknown = entries
  assert (first["outcome"], first["status"], first["cache_hit"]) == ("ok", 200, False)
  assert first["input_tokens"] > 0 and first["output_tokens"] == 6
  assert first["endpoint"]
  assert (hit["outcome"], hit["cache_hit"]) == ("cache_hit", True)
  assert hit["category"] == first["category"]
  assert streamed["outcome"] == "ok" and streamed["time_to_first_token_ms"] >= 0
  assert streamed["output_tokens"] == 6
  assert (unknown["status"], unknown["outcome"]) == (404, "model_not_found")


def test_log_format_flag_wins_over_the_config(tmp_path: Path) -> None:
  config = tmp_path / "router.yaml"
  e2e_stack.write_router_config(
    config, {m["name"]: [("e", 1)] for m in e2e_stack.default_models()})
  with_logging(config, {"logging": {"format": "json"}})
  router = stack.Router(config=str(config), extra_args=["--log-format", "text"])
  try:
    router.start(timeout=60)
    log = router.log()
  finally:
    router.stop()
  assert "semantic-router ready" in log
  assert not any(line.startswith("{") for line in log.splitlines())


def test_unknown_log_format_in_the_config_is_refused_with_its_key(tmp_path: Path) -> None:
  config = tmp_path / "router.yaml"
  e2e_stack.write_router_config(
    config, {m["name"]: [("e", 1)] for m in e2e_stack.default_models()})
  with_logging(config, {"logging": {"format": "xml"}})
  result = subprocess.run(
    [str(stack.router_binary()), "validate", "--config", str(config)],
    capture_output=True, text=True, timeout=60)
  assert result.returncode != 0
  assert "observability.logging.format" in result.stdout + result.stderr
  assert "json" in result.stdout + result.stderr
