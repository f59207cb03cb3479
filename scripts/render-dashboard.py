"""`make dashboard-png`: docs/dashboard.png, the Grafana dashboard's panels drawn from a real run.

No Grafana installs here, so this runs what Tests/e2e/test_dashboard.py runs (two routers behind
two Envoys under a mix of traffic, scraped every second by Debian's Prometheus), reloads
router-b's config halfway (its generation goes to 2), then asks Prometheus for every panel
query of deploy/grafana/semantic-router.json over the run (query_range, 2 s steps) and plots
each panel with matplotlib, in the dashboard's grid order, legends as Grafana would write them.

Options: --seconds N (traffic duration, default 60), --output PATH (default docs/dashboard.png).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "e2e"))
sys.path.insert(0, str(REPO / "Tests" / "integration"))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from dashboard_stack import DASHBOARD, DashboardStack, dashboard_queries, promql  # noqa: E402

UNIT_SCALE = {"s": (1000.0, "ms"), "percentunit": (100.0, "%"), "reqps": (1.0, "req/s")}


def legend(template: str, labels: dict[str, str]) -> str:
  """A Grafana legend format (`{{label}}`) filled in."""
  return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), template).strip()


def post_reload(admin_port: int) -> int:
  """POST /reload at a router's admin port; the HTTP status."""
  request = urllib.request.Request(f"http://127.0.0.1:{admin_port}/reload", method="POST")
  with urllib.request.urlopen(request, timeout=30) as reply:
    return reply.status


def main() -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--seconds", type=float, default=60)
  parser.add_argument("--output", type=Path, default=REPO / "docs" / "dashboard.png")
  options = parser.parse_args()

  dashboard = json.loads(DASHBOARD.read_text())
  queries = dashboard_queries(dashboard)
  with tempfile.TemporaryDirectory() as directory, DashboardStack(Path(directory)) as running:
    prometheus = running.prometheus
    start = time.time()
    with running.traffic() as traffic:
      time.sleep(options.seconds / 2)
      reload_status = post_reload(running.routers["router-b"].admin_port)
      time.sleep(options.seconds / 2)
    end = time.time()
    # Two more scrapes so the last traffic is in.
    time.sleep(2.5)
    series_by_expr = {}
    for _, _, expr in queries:
      answer = prometheus.api(
        "query_range", query=expr, start=str(start), end=str(end), step="2")
      assert answer["status"] == "success", (expr, answer)
      series_by_expr[expr] = answer["data"]["result"]
    print(f"sent {traffic.sent} requests over {end - start:.0f} s; reload: HTTP {reload_status}")

  panels = dashboard["panels"]
  columns = 2
  rows = math.ceil(len(panels) / columns)
  figure, axes = plt.subplots(rows, columns, figsize=(16, 3.2 * rows), squeeze=False)
  figure.suptitle(
    "semantic-router dashboard (deploy/grafana/semantic-router.json): two routers, "
    f"{options.seconds:.0f} s of traffic, Prometheus scraping every 1 s", fontsize=13)
  for axis, panel in zip(axes.flat, panels):
    unit = panel["fieldConfig"]["defaults"].get("unit", "short")
    scale, unit_label = UNIT_SCALE.get(unit, (1.0, ""))
    for target in panel["targets"]:
      for series in series_by_expr[promql(target["expr"])]:
        points = [(float(t) - start, float(v) * scale) for t, v in series["values"]]
        points = [(t, v) for t, v in points if math.isfinite(v)]
        if points:
          xs, ys = zip(*points)
          axis.plot(xs, ys, label=legend(target["legendFormat"], series["metric"]) or "value")
    axis.set_title(panel["title"], fontsize=10)
    axis.set_xlabel("seconds into the run", fontsize=8)
    axis.set_ylabel(unit_label, fontsize=8)
    axis.tick_params(labelsize=7)
    axis.grid(alpha=0.3)
    if axis.lines:
      axis.legend(fontsize=6, loc="upper left", ncol=2)
  for axis in axes.flat[len(panels):]:
    axis.set_visible(False)
  figure.tight_layout(rect=(0, 0, 1, 0.97))
  options.output.parent.mkdir(parents=True, exist_ok=True)
  figure.savefig(options.output, dpi=80)
  print(f"wrote {options.output}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
