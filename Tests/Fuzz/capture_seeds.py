"""Captures seed inputs for the fuzz targets from real peers and writes them under
Tests/Fuzz/Corpus/TARGET/ (file names are content hashes, as libFuzzer names its own).

A real Envoy 1.40 (ext_proc, BUFFERED bodies, the integration tests' template) calls the router
through a recording TCP proxy (and grpcio's client sends a health Check); the router exports its
spans over OTLP/gRPC to `trace-view` through another; admin requests from Python's HTTP clients
and curl pass a third. What the client side of each connection sent is the seed: whole HTTP/2
connections (after the preface), the gRPC DATA of each stream, each gRPC message
(ProcessingRequest, ExportTraceServiceRequest), the admin request heads, and the request bodies
sent through Envoy.

  .venv/bin/python Tests/Fuzz/capture_seeds.py [ROUTER_BINARY]
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "integration"))

import requests  # noqa: E402

import stack  # noqa: E402
from seed_corpus import save  # noqa: E402

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class RecordingProxy:
  """Forwards loopback TCP connections to `target_port`, keeping what each client sent."""

  def __init__(self, target_port: int) -> None:
    self.target_port = target_port
    self.listener = socket.create_server(("127.0.0.1", 0))
    self.port = self.listener.getsockname()[1]
    self.connections: list[bytearray] = []
    self.lock = threading.Lock()
    threading.Thread(target=self._accept, daemon=True).start()

  def _accept(self) -> None:
    while True:
      try:
        client, _ = self.listener.accept()
      except OSError:
        return
      server = socket.create_connection(("127.0.0.1", self.target_port))
      sent = bytearray()
      with self.lock:
        self.connections.append(sent)
      threading.Thread(target=self._pump, args=(client, server, sent), daemon=True).start()
      threading.Thread(target=self._pump, args=(server, client, None), daemon=True).start()

  def _pump(self, source: socket.socket, sink: socket.socket, record: bytearray | None) -> None:
    try:
      while chunk := source.recv(65536):
        if record is not None:
          with self.lock:
            record.extend(chunk)
        sink.sendall(chunk)
    except OSError:
      pass
    finally:
      try:
        sink.shutdown(socket.SHUT_WR)
      except OSError:
        pass

  def sent(self) -> list[bytes]:
    with self.lock:
      return [bytes(c) for c in self.connections if c]

  def close(self) -> None:
    self.listener.close()


def data_by_stream(connection: bytes) -> dict[int, bytes]:
  """The DATA payloads of each stream of a client's HTTP/2 bytes, in order."""
  streams: dict[int, bytearray] = {}
  offset = len(PREFACE) if connection.startswith(PREFACE) else 0
  while offset + 9 <= len(connection):
    length = int.from_bytes(connection[offset:offset + 3], "big")
    kind, flags = connection[offset + 3], connection[offset + 4]
    stream = int.from_bytes(connection[offset + 5:offset + 9], "big") & 0x7FFFFFFF
    payload = connection[offset + 9:offset + 9 + length]
    offset += 9 + length
    if kind == 0:
      if flags & 0x8:
        payload = payload[1:len(payload) - payload[0]]
      streams.setdefault(stream, bytearray()).extend(payload)
  return {k: bytes(v) for k, v in streams.items()}


def grpc_messages(data: bytes) -> list[bytes]:
  """The length-prefixed gRPC messages in one stream's DATA."""
  messages, offset = [], 0
  while offset + 5 <= len(data):
    length = int.from_bytes(data[offset + 1:offset + 5], "big")
    messages.append(data[offset + 5:offset + 5 + length])
    offset += 5 + length
  return messages


def router_config(otlp_port: int, directory: Path) -> Path:
  path = directory / "router-config.yaml"
  path.write_text(f"""
models:
  - name: math-model
    category: [math]
    endpoints: [{{ name: m1, address: "http://127.0.0.1:8101" }}]
  - name: chat-model
    category: [general]
    endpoints: [{{ name: c1, address: "http://127.0.0.1:8103" }}]
default_model: chat-model
categories:
  - name: math
    keyword_rules: [{{ operator: OR, keywords: ["integral", "derivative"] }}]
    examples: ["solve the equation", "derivative of x squared", "integral of sin x"]
  - name: general
    examples: ["tell me a joke", "write a poem about the sea", "plan a trip to Rome"]
semantic_cache: {{ enabled: true, similarity_threshold: 0.95 }}
observability:
  tracing:
    enabled: true
    service_name: "fuzz-seeds"
    exporter: {{ type: otlp, endpoint: "127.0.0.1:{otlp_port}", insecure: true }}
    sampling: {{ type: always_on }}
    batch: {{ schedule_delay: 100ms }}
""")
  return path


def chat(content: str, model: str = "auto", **extra: object) -> bytes:
  body = {"model": model, "messages": [{"role": "system", "content": "Be brief."},
                                       {"role": "user", "content": content}]}
  body.update(extra)
  return json.dumps(body).encode()


REQUEST_BODIES: list[tuple[str, bytes]] = [
  ("/v1/chat/completions", chat("What is the integral of x squared?")),
  ("/v1/chat/completions", chat("tell me a joke about cats", temperature=0.2, max_tokens=64)),
  ("/v1/chat/completions", chat("tell me a joke about cats", temperature=0.2, max_tokens=64)),
  ("/v1/chat/completions", chat("plan a trip", model="math-model", stream=True,
                                stream_options={"include_usage": True})),
  ("/v1/chat/completions", chat("unknown model please", model="gpt-unknown")),
  ("/v1/chat/completions", json.dumps({"model": "auto", "messages": [
    {"role": "user", "content": [{"type": "text", "text": "derivative of \\u00e9 x"}]}],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}).encode()),
  ("/v1/completions", json.dumps({"model": "auto", "prompt": ["solve 2x=4", "and 3x=9"],
                                  "max_tokens": 16, "n": 1, "logprobs": None}).encode()),
  ("/v1/chat/completions", b'{"model": "auto", "messages": [{"role": "user", "content": "hi"'),
  ("/v1/chat/completions", b'{"model": 7, "messages": []}'),
]

TRACE_HEADERS = {
  "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  "tracestate": "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
  "baggage": "userId=alice,serverNode=DF%2028;ttl=60,isProduction=false",
}


def drive_envoy(envoy_port: int) -> list[bytes]:
  """Sends the request bodies (and a GET) through Envoy; returns the bodies with their
  endpoint byte, as FuzzOpenAIRequest reads them."""
  with requests.Session() as session:
    for index, (path, body) in enumerate(REQUEST_BODIES):
      headers = {"content-type": "application/json"}
      if index % 2 == 0:
        headers.update(TRACE_HEADERS)
      session.post(f"http://127.0.0.1:{envoy_port}{path}", data=body, headers=headers,
                   timeout=30)
    session.get(f"http://127.0.0.1:{envoy_port}/v1/models", timeout=30)
  return [(b"\x01" if path == "/v1/completions" else b"\x00") + body
          for path, body in REQUEST_BODIES]


def drive_admin(port: int) -> None:
  for path in ("/health", "/ready", "/metrics"):
    requests.get(f"http://127.0.0.1:{port}{path}", timeout=5)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path)
    connection.getresponse().read()
    connection.close()
  if shutil.which("curl"):
    subprocess.run(["curl", "-s", "-o", "/dev/null", "-H", "Accept: text/plain",
                    f"http://127.0.0.1:{port}/metrics"], check=False)


def wait_for(condition, timeout: float) -> bool:
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    if condition():
      return True
    time.sleep(0.05)
  return False


def main() -> None:
  binary = Path(sys.argv[1]) if len(sys.argv) > 1 else stack.router_binary()
  scratch = Path(tempfile.mkdtemp(prefix="fuzz-seeds-"))
  otlp_port = stack.free_port()
  viewer = subprocess.Popen(
    [str(binary), "trace-view", "--listen", f"127.0.0.1:{otlp_port}", "--quiet-seconds", "0.2"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  assert stack.wait_for_tcp(otlp_port, 10), "trace-view did not start"
  otlp_proxy = RecordingProxy(otlp_port)
  with stack.EchoBackend() as backend, stack.Router(
      config=str(router_config(otlp_proxy.port, scratch)), binary=binary) as router:
    ext_proc_proxy = RecordingProxy(router.port)
    admin_proxy = RecordingProxy(router.admin_port)
    with stack.Envoy(stack.TEMPLATES / "passthrough.yaml",
                     {"router_port": ext_proc_proxy.port,
                      "backend_port": backend.port}) as envoy:
      bodies = drive_envoy(envoy.port)
    # grpcio's own HTTP/2 client, with a health Check.
    assert stack.health_status(f"127.0.0.1:{ext_proc_proxy.port}") == "SERVING"
    drive_admin(admin_proxy.port)

    def exported() -> bool:
      return any(data_by_stream(c) for c in otlp_proxy.sent())

    assert wait_for(exported, 15), "the router exported no spans"
  viewer.terminate()
  viewer.wait(10)

  ext_proc = ext_proc_proxy.sent()
  otlp = otlp_proxy.sent()
  ext_proc_streams = [d for c in ext_proc for d in data_by_stream(c).values()]
  otlp_streams = [d for c in otlp for d in data_by_stream(c).values()]
  counts = {
    "FuzzHTTP2Connection": save(
      "FuzzHTTP2Connection",
      [c[len(PREFACE):][:16384] for c in ext_proc + otlp]
      + [c[len(PREFACE):][:2048] for c in ext_proc], 16384),
    "FuzzGRPCMessageDeframer": save(
      "FuzzGRPCMessageDeframer", [b"\xff" + d[:4095] for d in ext_proc_streams + otlp_streams]
      + [b"\x06" + d[:4095] for d in ext_proc_streams[:4]], 4096),
    "FuzzProcessingRequest": save(
      "FuzzProcessingRequest", [m for d in ext_proc_streams for m in grpc_messages(d)], 8192),
    "FuzzOTLPTraceRequest": save(
      "FuzzOTLPTraceRequest", [m for d in otlp_streams for m in grpc_messages(d)], 16384),
    "FuzzHTTP1RequestParser": save("FuzzHTTP1RequestParser", admin_proxy.sent(), 9000),
    "FuzzOpenAIRequest": save("FuzzOpenAIRequest", bodies, 8192),
  }
  for target, count in counts.items():
    print(f"{target}: {count} seeds")
  shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
  main()
