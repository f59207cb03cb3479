"""The OTLP collector down for a minute while a real Envoy 1.40 sends the router h2load's chat
completions, then back on the same port.

What must hold: no request fails (tracing never sits in the request path), the router's memory
stays bounded while spans cannot leave (the export queue is capped), every span the router
sampled is either received by the collector or counted as dropped or failed (exactly: sampled =
exported + dropped + failed, and the collector holds exactly the exported ones), and export
resumes on its own once the collector is back. `COLLECTOR_OUTAGE_SECONDS` sets the outage
(default 60)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack  # noqa: E402
import tracing_stack as ts  # noqa: E402
from h2load import H2Load  # noqa: E402
from otlp_receiver import OTLPReceiver  # noqa: E402

OUTAGE_SECONDS = int(os.environ.get("COLLECTOR_OUTAGE_SECONDS", "60"))
#: Load before the outage (export works) and after it (export resumes).
SETTLE_SECONDS = 8
#: 4 connections × 25 requests per second: 100 requests, 500 spans per second.
CLIENTS, RATE = 4, 25


def metric(router: stack.Router, name: str) -> float:
  return router.metric(f"semantic_router_spans_{name}_total")


def router_config(directory: Path, backend_url: str, receiver: OTLPReceiver) -> Path:
  """Both models served by the echo backend; every request traced (always_on), OTLP/gRPC to
  `receiver` in 100 ms batches; no semantic cache, so every request takes the whole path."""
  path = ts.write_router_config(
    directory, {"math-model": backend_url, "chat-model": backend_url},
    {"enabled": True, "exporter": {"type": "otlp", "endpoint": receiver.endpoint},
     "sampling": {"type": "always_on"}, "batch": {"schedule_delay": "100ms"}})
  config = json.loads(path.read_text())
  config["semantic_cache"] = {"enabled": False}
  path.write_text(json.dumps(config, indent=2))
  return path


def test_collector_down_for_a_minute_fails_no_request_and_counts_every_lost_span(
    echo_backend, tmp_path):
  receiver = OTLPReceiver(port=stack.free_port()).start()
  config = router_config(tmp_path, f"http://127.0.0.1:{echo_backend.port}", receiver)
  body = json.dumps(ts.math_question()).encode()
  try:
    with stack.Router(config=str(config)).start() as router, \
        ts.envoy_for(config, router.port, tmp_path).start() as envoy, \
        H2Load(f"http://127.0.0.1:{envoy.port}/v1/chat/completions", body,
               2 * SETTLE_SECONDS + OUTAGE_SECONDS, tmp_path, clients=CLIENTS,
               rate=RATE) as load:
      receiver.wait_for_spans(500, timeout=30)
      time.sleep(SETTLE_SECONDS / 2)  # the load's steady state, before the outage
      rss_before = router.rss_kib()
      receiver.stop(grace=0)
      down_at = time.monotonic()
      lost_before = metric(router, "dropped") + metric(router, "failed")
      rss_peak = rss_before
      while time.monotonic() - down_at < OUTAGE_SECONDS:
        rss_peak = max(rss_peak, router.rss_kib())
        time.sleep(1)  # the outage lasts this long: sampling memory once a second
      lost_in_outage = metric(router, "dropped") + metric(router, "failed") - lost_before
      received_before = len(receiver.spans())
      receiver.start()
      up_at = time.monotonic()
      # Export resumes on its own: new spans arrive while the load still runs.
      receiver.wait_for_spans(received_before + 500, timeout=SETTLE_SECONDS + 30)
      resumed_after = time.monotonic() - up_at
      requests = load.wait()

      # Every span left the queue: exported, dropped or failed, and nothing else.
      deadline = time.monotonic() + 30
      while True:
        sampled, exported = metric(router, "sampled"), metric(router, "exported")
        dropped, failed = metric(router, "dropped"), metric(router, "failed")
        received = len(receiver.spans(lambda s: s.service_name == "vllm-semantic-router"))
        if sampled == exported + dropped + failed and exported == received:
          break
        assert time.monotonic() < deadline, (sampled, exported, dropped, failed, received)
        time.sleep(0.1)
  finally:
    receiver.stop(grace=0)

  assert requests and [r for r in requests if r.status != 200] == [], load.output
  # The positive control: the outage did cost spans, and they are the counted ones.
  assert lost_in_outage > 0
  assert sampled - received == dropped + failed
  # The queue is capped (2,048 spans by default): memory does not follow the backlog.
  assert rss_peak <= rss_before + 16 * 1024, (rss_before, rss_peak)
  print(f"\ncollector down {OUTAGE_SECONDS}s under {CLIENTS * RATE} requests/s: "
        f"{len(requests)} requests, 0 failed; {int(sampled)} spans sampled, {int(received)} "
        f"received, {int(dropped)} dropped (queue full) + {int(failed)} failed = the difference; "
        f"router RSS {rss_before} KiB before, peak {rss_peak} KiB during the outage; export "
        f"resumed {resumed_after:.1f}s after the collector came back")
