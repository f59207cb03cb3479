import Foundation
import Testing
import Transport

@testable import Tracing

/// OTLP/gRPC over TLS to an independent receiver: a Python `grpcio` server with
/// `ssl_server_credentials` serving `TraceService/Export` from `opentelemetry-proto`, behind a
/// CA made for the test with the `openssl` CLI.
@Suite("OTLP/gRPC exporter over TLS to a Python grpcio receiver")
struct OTLPGRPCExporterTLSTests {
  var deadline: ContinuousClock.Instant { .now.advanced(by: .seconds(10)) }

  @Test(
    .enabled(if: TestTLSReceiverProcess.isAvailable, "needs .venv (make test)"))
  func export_overTLSWithTheCAFile_deliversEverySpan() throws {
    let receiver = try GRPCTLSReceiver()
    defer { receiver.stop() }
    let configuration = TracingConfiguration(
      exporter: .init(
        type: .otlp, endpoint: "https://localhost:\(receiver.port)", caFile: receiver.caFile)
    ).applyingEnvironment([:])
    let tls = try #require(configuration.exporter.tlsConfiguration)
    let exporter = try OTLPGRPCExporter(
      endpoint: configuration.exporter.resolvedEndpoint,
      options: OTLPExportOptions(
        resource: [SpanAttribute("service.name", "grpc-tls-test")],
        headers: [("X-API-Key", "secret")], tls: tls))
    #expect(exporter.export((0..<5).map { sampledSpan("s\($0)") }, deadline: deadline) == .success)
    #expect(exporter.export([sampledSpan("s5"), sampledSpan("s6")], deadline: deadline) == .success)
    exporter.shutdown()

    #expect(
      receiver.report()
        == "calls=2 spans=7 names=s0,s1,s2,s3,s4,s5,s6 service=grpc-tls-test api_key=secret")
  }

  @Test(
    .enabled(if: TestTLSReceiverProcess.isAvailable, "needs .venv (make test)"))
  func export_ofALargeBatch_spansManyTLSRecordsAndHTTP2Frames() throws {
    let receiver = try GRPCTLSReceiver()
    defer { receiver.stop() }
    let exporter = try OTLPGRPCExporter(
      endpoint: "https://localhost:\(receiver.port)",
      options: OTLPExportOptions(
        resource: [], tls: TLSConfiguration(caFile: receiver.caFile)))
    let padding = String(repeating: "x", count: 200)
    let batch = (0..<3000).map { sampledSpan("\(padding)-\($0)") }
    #expect(exporter.export(batch, deadline: deadline) == .success)
    #expect(exporter.export([sampledSpan("after")], deadline: deadline) == .success)
    exporter.shutdown()
    let report = receiver.report()
    #expect(report.hasPrefix("calls=2 spans=3001 "), "\(report.prefix(80))")
    #expect(report.contains("\(padding)-2999,after service="))
  }

  @Test(
    .enabled(if: TestTLSReceiverProcess.isAvailable, "needs .venv (make test)"))
  func export_toAnIPAddressWithInsecureFalse_checksTheIPAddressSAN() throws {
    let receiver = try GRPCTLSReceiver()
    defer { receiver.stop() }
    let exporter = try OTLPGRPCExporter(
      endpoint: "127.0.0.1:\(receiver.port)", insecure: false,
      options: OTLPExportOptions(
        resource: [], tls: TLSConfiguration(caFile: receiver.caFile)))
    #expect(exporter.export([sampledSpan("by-ip")], deadline: deadline) == .success)
    exporter.shutdown()
    #expect(receiver.report() == "calls=1 spans=1 names=by-ip service= api_key=")
  }

  @Test(
    .enabled(if: TestTLSReceiverProcess.isAvailable, "needs .venv (make test)"))
  func export_withSystemRootsOnly_failsOnTheCertificate_andSendsNothing() throws {
    let receiver = try GRPCTLSReceiver()
    defer { receiver.stop() }
    let exporter = try OTLPGRPCExporter(
      endpoint: "https://127.0.0.1:\(receiver.port)",
      options: OTLPExportOptions(
        resource: [], retryPolicy: OTLPRetryPolicy(maxAttempts: 1)))
    defer { exporter.shutdown() }
    guard case .failure(let failure) = exporter.export([sampledSpan("s")], deadline: deadline)
    else {
      Issue.record("export to an untrusted receiver succeeded")
      return
    }
    #expect(failure.reason == .connection)
    #expect(
      failure.message.hasSuffix(
        "TLS handshake failed: certificate verify failed: unable to get local issuer certificate"),
      "\(failure.message)")
    #expect(receiver.report() == "")
  }

  @Test func missingCAFile_failsAtConstruction() {
    #expect(throws: TracingConfigurationError.self) {
      try OTLPGRPCExporter(
        endpoint: "https://127.0.0.1:4317",
        options: OTLPExportOptions(
          resource: [],
          tls: TLSConfiguration(caFile: "/nonexistent/ca.pem", alpnProtocols: ["h2"])))
    }
  }
}

/// The grpcio receiver process and its throw-away CA. It writes what it decoded to `report`
/// (replaced atomically after every call).
final class GRPCTLSReceiver {
  private let receiver: TestTLSReceiverProcess
  var port: Int { receiver.port }
  var caFile: String { receiver.caFile }

  init() throws {
    receiver = try TestTLSReceiverProcess(
      source: Self.receiverSource, name: "OTLP/gRPC TLS receiver")
  }

  func stop() { receiver.stop() }

  /// What the receiver decoded so far; empty when no call reached it.
  func report() -> String {
    let file = receiver.directory.appendingPathComponent("report")
    return (try? String(contentsOf: file, encoding: .utf8)) ?? ""
  }

  static let receiverSource = #"""
    import os, threading
    from concurrent import futures
    import grpc
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

    lock = threading.Lock()
    calls, names, services, keys = [0], [], set(), set()

    class TraceService(trace_service_pb2_grpc.TraceServiceServicer):
        def Export(self, request, context):
            with lock:
                calls[0] += 1
                for name, value in context.invocation_metadata():
                    if name == "x-api-key":
                        keys.add(value)
                for resource_spans in request.resource_spans:
                    for attribute in resource_spans.resource.attributes:
                        if attribute.key == "service.name":
                            services.add(attribute.value.string_value)
                    for scope_spans in resource_spans.scope_spans:
                        names.extend(span.name for span in scope_spans.spans)
                text = "calls=%d spans=%d names=%s service=%s api_key=%s" % (
                    calls[0], len(names), ",".join(names), ",".join(sorted(services)),
                    ",".join(sorted(keys)))
                with open("report.tmp", "w") as f:
                    f.write(text)
                os.rename("report.tmp", "report")
            return trace_service_pb2.ExportTraceServiceResponse()

    with open("server.key", "rb") as f:
        key = f.read()
    with open("server.pem", "rb") as f:
        certificate = f.read()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(TraceService(), server)
    port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([(key, certificate)]))
    server.start()
    with open("port.tmp", "w") as f:
        f.write(str(port))
    os.rename("port.tmp", "port")
    server.wait_for_termination()
    """#
}
