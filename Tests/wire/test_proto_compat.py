"""Our trimmed Protos/ must be wire-compatible with the upstream definitions.

For every message we declare, each field must exist upstream with the same number, type,
cardinality and (for message/enum fields) the same type name. The upstream reference is the
descriptors shipped in Envoy's `xds-protos` and in `opentelemetry-proto`.
"""
import pathlib
import subprocess
import tempfile

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool

# Importing these registers the upstream descriptors in the default pool.
from envoy.service.ext_proc.v3 import external_processor_pb2  # noqa: F401
from grpc_health.v1 import health_pb2  # noqa: F401
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2  # noqa: F401

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROTOS = ROOT / "Protos"


def our_descriptors():
    files = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "set.pb"
        subprocess.run(
            ["protoc-c", f"-I{PROTOS}", f"--descriptor_set_out={out}", "--include_imports", *files],
            check=True,
        )
        fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    messages = []
    for f in fds.file:
        def walk(prefix, msgs):
            for m in msgs:
                name = f"{prefix}.{m.name}"
                if not m.options.map_entry:
                    messages.append((name, m))
                walk(name, m.nested_type)
        walk(f.package, f.message_type)
    return messages


MESSAGES = our_descriptors()


def test_every_proto_file_was_read():
    names = {name for name, _ in MESSAGES}
    assert "envoy.service.ext_proc.v3.ProcessingRequest" in names
    assert "opentelemetry.proto.trace.v1.Span" in names
    assert "grpc.health.v1.HealthCheckResponse" in names


@pytest.mark.parametrize("name,ours", MESSAGES, ids=[n for n, _ in MESSAGES])
def test_fields_match_upstream(name, ours):
    upstream = descriptor_pool.Default().FindMessageTypeByName(name)
    by_number = {f.number: f for f in upstream.fields}
    for field in ours.field:
        assert field.number in by_number, f"{name}.{field.name} = {field.number} not upstream"
        up = by_number[field.number]
        assert up.name == field.name, f"{name} field {field.number}: {field.name} vs {up.name}"
        assert up.type == field.type, f"{name}.{field.name}: wire type differs"
        assert up.is_repeated == (field.label == field.LABEL_REPEATED), f"{name}.{field.name}"
        if up.message_type is not None and not up.message_type.GetOptions().map_entry:
            assert field.type_name.lstrip(".") == up.message_type.full_name, f"{name}.{field.name}"
        if up.enum_type is not None:
            assert field.type_name.lstrip(".") == up.enum_type.full_name, f"{name}.{field.name}"
