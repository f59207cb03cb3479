"""Fixtures the end-to-end modules share: an OTLP/gRPC receiver and the stub vLLMs, one of each
per test module (a module that needs them otherwise defines its own)."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

import e2e_stack
from otlp_receiver import OTLPReceiver


@pytest.fixture(scope="module")
def receiver():
  """An independent OTLP/gRPC receiver (Python's own decoding)."""
  with OTLPReceiver() as running:
    yield running


@pytest.fixture(scope="module")
def backends():
  """The stub vLLMs of `e2e_stack.start_backends`, without tracing."""
  with ExitStack() as running:
    yield e2e_stack.start_backends(running, otlp_url=None)
