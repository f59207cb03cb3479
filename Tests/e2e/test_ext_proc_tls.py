"""The ext_proc port over mutual TLS, with a real Envoy 1.40 in front (its bootstrap from
`semantic-router envoy-config` for a router config with `server.tls`).

An Envoy that presents a client certificate from the router's client CA gets requests routed;
one that presents none is refused at the handshake (counted in the router's /metrics), and with
`failure_mode_allow: false` its client gets an error, never a routed answer. A CA, the router's
certificate and Envoy's client certificate are made with the `openssl` CLI for each run.
"""

from __future__ import annotations

import json
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import yaml

import e2e_stack
import stack
from test_end_to_end import metric, parse_prometheus


def openssl(directory: Path, *arguments: str) -> None:
  subprocess.run(["openssl", *arguments], cwd=directory, check=True, capture_output=True)


def make_certificates(directory: Path) -> dict[str, Path]:
  """A CA, a router certificate for 127.0.0.1 and a client certificate for Envoy."""
  ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
  openssl(directory, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
          "-subj", "/CN=ext_proc test CA")
  (directory / "router.ext").write_text("subjectAltName=IP:127.0.0.1\n")
  (directory / "envoy.ext").write_text("extendedKeyUsage=clientAuth\n")
  for name in ("router", "envoy"):
    openssl(directory, "req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", f"/CN={name}")
    openssl(directory, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-out", f"{name}.pem", "-extfile", f"{name}.ext")
  return {name: directory / name for name in (
    "ca.pem", "router.pem", "router.key", "envoy.pem", "envoy.key")}


class TLSRouter(stack.Router):
  """`serve` with TLS on its ext_proc port: ready when its admin /ready answers 200 (the
  cleartext gRPC health check of `stack.Router` cannot reach it)."""

  def _wait_ready(self, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
      if not self.running():
        raise stack.StartupError(f"router exited with {self.proc.returncode}\n"
                                 + self.log_tail())
      try:
        if e2e_stack.http_get(self.admin_port, "/ready", timeout=1)[0] == 200:
          return
      except OSError:
        pass
      time.sleep(0.05)
    self.stop()
    raise stack.StartupError(f"router not ready after {timeout}s\n" + self.log_tail())


def start_envoy(running: ExitStack, config: Path, router: stack.Router, name: str,
                extra: list[str]) -> e2e_stack.EnvoyProcess:
  port, admin = stack.free_port(), stack.free_port()
  argv = [str(stack.router_binary()), "envoy-config", "--config", str(config),
          "--listen", f"127.0.0.1:{port}", "--router", router.address,
          "--envoy-admin-port", str(admin), "--router-admin", f"127.0.0.1:{router.admin_port}",
          *extra]
  bootstrap = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout
  assert "UpstreamTlsContext" in bootstrap
  path = config.with_name(f"{name}-envoy.yaml")
  path.write_text(bootstrap)
  envoy = e2e_stack.EnvoyProcess(path, port, admin)
  running.callback(envoy.stop)
  return envoy.start()


def ask(port: int) -> tuple[int, bytes]:
  body = {"model": "auto", "messages": [{"role": "user", "content": "What is 2 + 2?"}],
          "max_tokens": 4}
  status, _, data = e2e_stack.post_chat(port, body)
  return status, data


def tls_handshakes_refused(router: stack.Router) -> float:
  samples = parse_prometheus(router.metrics_text())
  name = "semantic_router_connections_closed_total"
  assert (name, frozenset({("reason", "tls_handshake")})) in samples
  return metric(samples, name, reason="tls_handshake")


def test_envoy_with_a_client_certificate_is_routed_and_one_without_is_refused(tmp_path) -> None:
  files = make_certificates(tmp_path)
  with ExitStack() as running:
    backends = e2e_stack.start_backends(running, otlp_url=None)
    config = e2e_stack.write_router_config(
      tmp_path / "router-config.yaml", e2e_stack.endpoints_of(backends), cache=False)
    document = yaml.safe_load(config.read_text())
    document["server"] = {"tls": {
      "cert_file": str(files["router.pem"]), "key_file": str(files["router.key"]),
      "client_ca_file": str(files["ca.pem"])}}
    config.write_text(yaml.safe_dump(document, sort_keys=False))
    router = running.enter_context(TLSRouter(config=str(config)))
    assert "without TLS" not in router.log()

    trusted = start_envoy(running, config, router, "trusted", [
      "--router-ca-file", str(files["ca.pem"]), "--router-client-cert", str(files["envoy.pem"]),
      "--router-client-key", str(files["envoy.key"])])
    status, data = ask(trusted.port)
    assert status == 200, data[:300]
    assert json.loads(data)["model"] in {m["name"] for m in e2e_stack.default_models()}
    assert tls_handshakes_refused(router) == 0

    # The same router seen by an Envoy that trusts its certificate but has none of its own.
    without_tls_client = tmp_path / "no-client-cert.yaml"
    del document["server"]["tls"]["client_ca_file"]
    without_tls_client.write_text(yaml.safe_dump(document, sort_keys=False))
    anonymous = start_envoy(running, without_tls_client, router, "anonymous", [
      "--router-ca-file", str(files["ca.pem"])])
    status, data = ask(anonymous.port)
    assert status in (500, 503), (status, data[:300])
    assert tls_handshakes_refused(router) >= 1

    # Positive control after the refusal: the trusted Envoy is still routed.
    assert ask(trusted.port)[0] == 200


def test_serve_warns_when_it_listens_beyond_loopback_without_tls() -> None:
  with stack.Router() as local:
    pass
  port = stack.free_port()
  # The later --listen wins; the readiness check dials 127.0.0.1 on the same port.
  with stack.Router(port, extra_args=["--listen", f"0.0.0.0:{port}"]) as exposed:
    # Started in the same way: the one on loopback logged its start-up lines too.
    assert "semantic-router ready" in local.log()
    assert "without TLS" not in local.log()
    assert "without TLS" in exposed.log()


def test_envoy_config_for_a_tls_router_needs_envoys_files(tmp_path) -> None:
  files = make_certificates(tmp_path)
  config = e2e_stack.write_router_config(
    tmp_path / "router-config.yaml",
    {m["name"]: [(f"e{i}", 9000 + i)] for i, m in enumerate(e2e_stack.default_models())})
  document = yaml.safe_load(config.read_text())
  document["server"] = {"tls": {
    "cert_file": str(files["router.pem"]), "key_file": str(files["router.key"]),
    "client_ca_file": str(files["ca.pem"])}}
  config.write_text(yaml.safe_dump(document, sort_keys=False))
  base = [str(stack.router_binary()), "envoy-config", "--config", str(config)]
  missing = subprocess.run(base + ["--router-ca-file", str(files["ca.pem"])],
                           capture_output=True, text=True, timeout=30)
  assert missing.returncode != 0
  assert "--router-client-cert" in missing.stderr
  done = subprocess.run(base + [
    "--router-ca-file", str(files["ca.pem"]), "--router-client-cert", str(files["envoy.pem"]),
    "--router-client-key", str(files["envoy.key"])], capture_output=True, text=True, timeout=30)
  assert done.returncode == 0, done.stderr
  cluster = next(c for c in yaml.safe_load(done.stdout)["static_resources"]["clusters"]
                 if c["name"] == "semantic_router_extproc")
  context = cluster["transport_socket"]["typed_config"]["common_tls_context"]
  assert context["alpn_protocols"] == ["h2"]
  assert context["tls_certificates"][0]["certificate_chain"]["filename"] == str(files["envoy.pem"])
  validation = context["validation_context"]
  assert validation["trusted_ca"]["filename"] == str(files["ca.pem"])
  assert validation["match_typed_subject_alt_names"] == [
    {"san_type": "IP_ADDRESS", "matcher": {"exact": "127.0.0.1"}}]
