"""deploy/grafana/semantic-router.json against a real Prometheus: two routers behind two Envoys
serve a mix of traffic, Prometheus (Debian's package) scrapes both every second, and every
panel's PromQL goes through Prometheus' HTTP API: each query must parse and return data.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from dashboard_stack import DASHBOARD, ROUTERS, DashboardStack, dashboard_queries

#: Generous: the queries need a few scrapes of traffic (1 s apart); a slow CI machine waits
#: longer, a fast one finishes as soon as every panel has data.
DEADLINE_SECONDS = 60


def finite_values(answer: dict) -> list[float]:
  return [
    value for value in (float(r["value"][1]) for r in answer["data"]["result"])
    if math.isfinite(value)
  ]


def test_dashboard_panels_are_well_formed() -> None:
  dashboard = json.loads(DASHBOARD.read_text())
  panels = dashboard["panels"]
  assert len({p["id"] for p in panels}) == len(panels)
  assert len({p["title"] for p in panels}) == len(panels)
  cells = set()
  for panel in panels:
    assert panel["datasource"]["uid"] == "${datasource}"
    assert panel["targets"], panel["title"]
    assert panel["description"], panel["title"]
    grid = panel["gridPos"]
    assert grid["x"] + grid["w"] <= 24, panel["title"]
    for x in range(grid["x"], grid["x"] + grid["w"]):
      for y in range(grid["y"], grid["y"] + grid["h"]):
        assert (x, y) not in cells, f"{panel['title']} overlaps another panel"
        cells.add((x, y))
    for target in panel["targets"]:
      assert 'instance=~"$instance"' in target["expr"], (panel["title"], target["expr"])
  variables = {v["name"] for v in dashboard["templating"]["list"]}
  assert variables == {"datasource", "instance"}
  # What the issue asks the dashboard to show, by the metrics its panels read.
  exprs = " ".join(expr for _, _, expr in dashboard_queries(dashboard))
  for metric in (
    "semantic_router_requests_total", "semantic_router_cache_hits_total",
    "semantic_router_extproc_message_duration_seconds_bucket",
    "gen_ai_server_time_to_first_token_seconds_bucket", "gen_ai_client_token_usage_sum",
    "semantic_router_spans_exported_total", "semantic_router_config_generation",
  ):
    assert metric in exprs, metric


def test_every_panel_query_parses_and_returns_data_from_two_routers(tmp_path: Path) -> None:
  queries = dashboard_queries()
  with DashboardStack(tmp_path) as running, running.traffic() as traffic:
    prometheus = running.prometheus
    # Controls: a broken query is refused, an unknown metric returns nothing.
    assert prometheus.query("sum(rate(semantic_router_requests_total[4s])")["status"] == "error"
    assert prometheus.query("no_such_metric_anywhere")["data"]["result"] == []

    deadline = time.monotonic() + DEADLINE_SECONDS
    # Both routers scraped before any panel is judged, so per-pod panels see both.
    while time.monotonic() < deadline:
      up = prometheus.query('up{job="semantic-router"} == 1')["data"]["result"]
      if {r["metric"]["instance"] for r in up} == set(ROUTERS):
        break
      time.sleep(0.2)
    pending = {expr: title for title, _, expr in queries}
    answers: dict[str, dict] = {}
    while pending and time.monotonic() < deadline:
      for expr, title in list(pending.items()):
        answer = prometheus.query(expr)
        assert answer["status"] == "success", f"{title}: {expr}\n{answer}"
        if finite_values(answer):
          answers[expr] = answer
          del pending[expr]
      if pending:
        time.sleep(0.5)  # the next scrape brings more samples
    assert not pending, (
      f"panels without data after {DEADLINE_SECONDS}s (sent {traffic.sent} requests, "
      f"errors {traffic.errors[:3]}): {json.dumps(pending, indent=1)}")

  config = prometheus_results(answers, "semantic_router_config_generation")
  assert {r["metric"]["instance"] for r in config} == set(ROUTERS)
  assert all(float(r["value"][1]) == 1 for r in config)
  # One build, counted once per router.
  [build] = prometheus_results(answers, "semantic_router_build_info")
  assert build["metric"]["version"] and build["metric"]["swift_version"]
  assert float(build["value"][1]) == len(ROUTERS)


def prometheus_results(answers: dict[str, dict], metric: str) -> list[dict]:
  """The result of the one panel query that reads `metric`."""
  [answer] = [answer for expr, answer in answers.items() if metric in expr]
  return answer["data"]["result"]

