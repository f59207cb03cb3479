"""Fixtures that run the real stack as local processes: the router, an echo backend, Envoy 1.40,
an OTLP/gRPC receiver.

Every fixture stops what it started at teardown, whatever the test did.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grpc
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

import stack  # noqa: E402
from otlp_receiver import OTLPReceiver  # noqa: E402


@pytest.fixture
def make_router():
  """A factory `make_router(**kwargs) -> stack.Router` (started, ready); all stopped at teardown."""
  started: list[stack.Router] = []

  def start(**kwargs) -> stack.Router:
    router = stack.Router(**kwargs)
    started.append(router)
    return router.start()

  yield start
  for router in started:
    router.stop()


@pytest.fixture
def router(make_router) -> stack.Router:
  """The router with default settings (pass-through processor) on a free loopback port."""
  return make_router()


@pytest.fixture
def channel(router):
  """A grpcio channel to `router`."""
  with grpc.insecure_channel(router.address) as chan:
    grpc.channel_ready_future(chan).result(timeout=10)
    yield chan


@pytest.fixture
def echo_backend():
  """The in-process echo backend (`/slow...` paths take 1 s)."""
  with stack.EchoBackend(slow_delay=1.0) as backend:
    yield backend


@pytest.fixture(scope="module")
def receiver():
  """An independent OTLP/gRPC receiver (Python's own decoding), one per test module."""
  with OTLPReceiver() as running:
    yield running


@pytest.fixture
def make_envoy():
  """A factory `make_envoy(template, values) -> stack.Envoy` (started, ready); stopped at teardown."""
  started: list[stack.Envoy] = []

  def start(template: Path, values: dict) -> stack.Envoy:
    envoy = stack.Envoy(template, values)
    started.append(envoy)
    return envoy.start()

  yield start
  for envoy in started:
    envoy.stop()


@pytest.fixture
def envoy(make_envoy, router, echo_backend) -> stack.Envoy:
  """Envoy 1.40 whose ext_proc filter calls `router` and routes to `echo_backend`."""
  return make_envoy(stack.TEMPLATES / "passthrough.yaml",
                    {"router_port": router.port, "backend_port": echo_backend.port})
