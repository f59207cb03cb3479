"""The semantic cache's size limits through the real stack: stub vLLMs that answer with
megabytes → Envoy 1.40 → `semantic-router serve`.

An answer above `semantic_cache.max_answer_bytes` reaches the client whole but is not stored
(the same request again is a miss, counted as not stored); many large answers under
`semantic_cache.max_bytes` keep the cache within its byte budget, evicting the least recently
used, and the router's RSS stays bounded (beside a positive control: the same traffic with
room for every answer grows RSS by what the cache then holds).
"""

from __future__ import annotations

import http.client
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml

import e2e_stack
from test_end_to_end import metric, parse_prometheus

#: Words the stubs may generate: enough for answers of a few megabytes.
STUB_TOKENS = 1_000_000
#: Completion tokens for an answer of about 2 MB (the stub's words average 5.1 bytes).
LARGE_ANSWER_TOKENS = 400_000
MIB = 1 << 20
PROMPT = "Explain how photosynthesis turns sunlight into chemical energy."


@pytest.fixture(scope="module")
def backends():
  with ExitStack() as running:
    yield e2e_stack.start_backends(running, otlp_url=None, tokens=STUB_TOKENS)


def cache_stack(tmp_path: Path, backends, **cache: Any) -> e2e_stack.RoutedStack:
  """The router and Envoy with the shipped config, its semantic cache set to `cache` and room
  for answers of a few megabytes (`max_body_bytes` also sizes Envoy's buffers)."""
  path = e2e_stack.write_router_config(
    tmp_path / "router-config.yaml", e2e_stack.endpoints_of(backends))
  config = yaml.safe_load(path.read_text())
  config["max_body_bytes"] = 8 * MIB
  config["semantic_cache"].update(cache)
  path.write_text(yaml.safe_dump(config, sort_keys=False))
  return e2e_stack.RoutedStack(path, with_admin=True)


def ask(conn: http.client.HTTPConnection, port: int, system: str,
        tokens: int) -> tuple[dict[str, str], bytes]:
  """One non-streamed "auto" chat request keyed apart from others by its system prompt."""
  messages = [{"role": "system", "content": system}, {"role": "user", "content": PROMPT}]
  status, headers, body = e2e_stack.post_chat(
    port, {"model": "auto", "messages": messages, "max_tokens": tokens}, conn=conn)
  assert status == 200, body[:300]
  return headers, body


def test_an_answer_above_max_answer_bytes_reaches_the_client_but_is_not_stored(
  tmp_path, backends,
) -> None:
  with cache_stack(tmp_path, backends, max_answer_bytes=MIB) as routed:
    conn = http.client.HTTPConnection("127.0.0.1", routed.envoy.port, timeout=60)
    before = parse_prometheus(routed.metrics())

    # Positive control: a small answer is stored, so the same request again is a hit.
    ask(conn, routed.envoy.port, "You answer briefly.", 8)
    headers, _ = ask(conn, routed.envoy.port, "You answer briefly.", 8)
    assert headers.get("x-vsr-cache-hit") == "true"

    first_headers, first = ask(conn, routed.envoy.port, "You answer at length.",
                               LARGE_ANSWER_TOKENS)
    second_headers, second = ask(conn, routed.envoy.port, "You answer at length.",
                                 LARGE_ANSWER_TOKENS)
    conn.close()
    assert len(first) > MIB and len(second) == len(first)
    assert "x-vsr-cache-hit" not in first_headers and "x-vsr-cache-hit" not in second_headers

    after = parse_prometheus(routed.metrics())
    assert metric(after, "semantic_router_cache_not_stored_total", reason="too_large") - metric(
      before, "semantic_router_cache_not_stored_total", reason="too_large") == 2
    assert metric(after, "semantic_router_cache_entries") == 1
    assert 0 < metric(after, "semantic_router_cache_bytes") < 64 * 1024


def fill(routed: e2e_stack.RoutedStack, answers: int) -> tuple[int, list[int]]:
  """Two large warm-up answers, then `answers` large answers to distinct requests (all misses);
  the router's RSS growth over the latter in KiB, and the answers' sizes."""
  port = routed.envoy.port
  conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
  # Warm-up: two large answers through every buffer on the way, stored in the cache.
  for number in range(2):
    ask(conn, port, f"Warm-up {number}.", LARGE_ANSWER_TOKENS)
  baseline_kib = routed.router.rss_kib()
  sizes = []
  for number in range(answers):
    headers, body = ask(conn, port, f"You answer request {number}.", LARGE_ANSWER_TOKENS)
    assert "x-vsr-cache-hit" not in headers
    sizes.append(len(body))
  conn.close()
  return routed.router.rss_kib() - baseline_kib, sizes


def test_many_large_answers_stay_within_max_bytes_and_rss_stays_bounded(
  tmp_path, backends,
) -> None:
  answers, max_bytes = 50, 8 * MIB
  with cache_stack(tmp_path, backends, max_bytes=max_bytes,
                   max_answer_bytes=4 * MIB) as routed:
    grown_kib, sizes = fill(routed, answers)
    assert min(sizes) > 2_000_000

    # The newest answer is still held; the first ones were evicted for bytes.
    conn = http.client.HTTPConnection("127.0.0.1", routed.envoy.port, timeout=60)
    last, _ = ask(conn, routed.envoy.port, f"You answer request {answers - 1}.",
                  LARGE_ANSWER_TOKENS)
    assert last.get("x-vsr-cache-hit") == "true"
    first, _ = ask(conn, routed.envoy.port, "You answer request 0.", LARGE_ANSWER_TOKENS)
    assert "x-vsr-cache-hit" not in first
    conn.close()

    samples = parse_prometheus(routed.metrics())
    held = metric(samples, "semantic_router_cache_bytes")
    entries = metric(samples, "semantic_router_cache_entries")
    assert sum(sizes[-3:]) < held <= max_bytes
    # Every answer was stored (the re-asked first one too); all but those held were evicted.
    stored = 2 + answers + 1
    assert metric(samples, "semantic_router_cache_evictions_total", reason="bytes") == (
      stored - entries)
    assert metric(samples, "semantic_router_cache_evictions_total", reason="entries") == 0
    assert metric(samples, "semantic_router_cache_not_stored_total", reason="too_large") == 0
    print(f"max_bytes 8 MiB: {answers} answers of about {sum(sizes) // answers:,} bytes, router "
          f"RSS grew by {grown_kib:,} KiB, cache holds {held:,.0f} bytes in {entries:.0f} entries")
    assert grown_kib < 50 * 1024, f"router RSS grew by {grown_kib} KiB"

  # Positive control: with room for every answer the same traffic grows RSS by about the
  # 100 MB the cache then holds, so the bound above is the budget's doing.
  with cache_stack(tmp_path, backends, max_bytes=256 * MIB,
                   max_answer_bytes=4 * MIB) as routed:
    grown_kib, sizes = fill(routed, answers)
    held = metric(parse_prometheus(routed.metrics()), "semantic_router_cache_bytes")
    print(f"max_bytes 256 MiB (control): router RSS grew by {grown_kib:,} KiB, cache holds "
          f"{held:,.0f} bytes")
    assert held > sum(sizes)
    assert grown_kib > sum(sizes) * 0.8 / 1024, f"router RSS grew by {grown_kib} KiB"
