"""The configs we ship are current and accepted: envoy/ is exactly what `envoy-config` prints
for deploy/router-config.yaml, Envoy 1.40 validates it, and the router validates its config."""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROUTER = os.environ.get("SEMANTIC_ROUTER_BIN", str(ROOT / ".build/release/semantic-router"))
ENVOY = str(ROOT / ".venv/bin/envoy")
CONFIG = ROOT / "deploy/router-config.yaml"

# envoy/<file> and the envoy-config arguments that produce it (`make envoy-configs`).
ENVOY_FILES = {
    "envoy.yaml": [],
    "envoy-tracing.yaml": ["--tracing-collector", "127.0.0.1:4317"],
}


def run(*args, check=True):
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=60)


@pytest.mark.parametrize("name", ENVOY_FILES)
def test_envoy_config_is_current(name):
    generated = run(ROUTER, "envoy-config", "--config", str(CONFIG), *ENVOY_FILES[name]).stdout
    assert (ROOT / "envoy" / name).read_text() == generated, (
        f"envoy/{name} is stale: run `make envoy-configs`")


@pytest.mark.parametrize("name", ENVOY_FILES)
def test_envoy_accepts_config(name):
    result = run(ENVOY, "--mode", "validate", "-c", str(ROOT / "envoy" / name), check=False)
    assert result.returncode == 0, result.stderr[-2000:]


def test_default_router_config_validates():
    result = run(ROUTER, "validate", "--config", str(CONFIG))
    assert "OK" in result.stdout


def test_invalid_config_names_key_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CONFIG.read_text().replace("default_model:", "default_modle:", 1))
    result = run(ROUTER, "validate", "--config", str(bad), check=False)
    assert result.returncode != 0
    assert "default_modle" in result.stderr and "line" in result.stderr


def test_serve_refuses_invalid_config(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("models: 3\n")
    result = run(ROUTER, "serve", "--config", str(bad), "--listen", "127.0.0.1:0", check=False)
    assert result.returncode != 0
    assert "models" in result.stderr


def test_classify_json_reports_category_and_route():
    out = run(ROUTER, "classify", "--config", str(CONFIG), "--json",
              "Solve the quadratic equation x^2 - 5x + 6 = 0").stdout
    answer = json.loads(out)
    assert set(answer) == {"category", "confidence", "model", "endpoint"}
    assert answer["category"] == "math"
    assert 0 < answer["confidence"] <= 1
    assert answer["model"] == "llama-3.1-70b"
    assert answer["endpoint"] in ("model-a-1", "model-a-2")
