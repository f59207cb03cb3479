import Foundation
import Testing
import Transport

@testable import Tracing

/// OTLP/HTTP over TLS to an independent receiver: Python `ssl` + `http.server` decoding the
/// body with `opentelemetry-proto`, behind a CA made for the test with the `openssl` CLI.
@Suite("OTLP/HTTP exporter over TLS to a Python receiver")
struct OTLPHTTPSExporterTests {
  var deadline: ContinuousClock.Instant { .now.advanced(by: .seconds(10)) }

  @Test(
    .enabled(if: TestTLSReceiverProcess.isAvailable, "needs .venv (make test)"))
  func export_overHTTPSWithTheCAFile_deliversEverySpan() throws {
    let receiver = try HTTPSReceiver()
    defer { receiver.stop() }
    var configuration = TracingConfiguration(
      exporter: .init(
        type: .otlpHTTP, endpoint: "https://localhost:\(receiver.port)", caFile: receiver.caFile))
    configuration = configuration.applyingEnvironment([:])
    let tls = try #require(configuration.exporter.tlsConfiguration)
    let exporter = try OTLPHTTPExporter(
      endpoint: configuration.exporter.resolvedEndpoint + "/v1/traces",
      options: OTLPExportOptions(
        resource: [SpanAttribute("service.name", "tls-test")], tls: tls))
    #expect(exporter.export((0..<5).map { sampledSpan("s\($0)") }, deadline: deadline) == .success)
    #expect(exporter.export([sampledSpan("s5"), sampledSpan("s6")], deadline: deadline) == .success)
    exporter.shutdown()

    let report = try receiver.report(tls: tls)
    #expect(report == "spans=7 names=s0,s1,s2,s3,s4,s5,s6 service=tls-test", "\(report)")
  }

  @Test(
    .enabled(if: TestTLSReceiverProcess.isAvailable, "needs .venv (make test)"))
  func export_overHTTPSWithSystemRootsOnly_failsOnTheCertificate_withoutRetrying() throws {
    let receiver = try HTTPSReceiver()
    defer { receiver.stop() }
    let sleeps = SleepRecordingClock()
    let exporter = try OTLPHTTPExporter(
      endpoint: "https://127.0.0.1:\(receiver.port)",
      options: OTLPExportOptions(
        resource: [], retryPolicy: OTLPRetryPolicy(maxAttempts: 5), clock: sleeps))
    guard case .failure(let failure) = exporter.export([sampledSpan("s")], deadline: deadline)
    else {
      Issue.record("export to an untrusted receiver succeeded")
      return
    }
    #expect(failure.reason == .connection)
    #expect(sleeps.durations.isEmpty)
    #expect(
      failure.message.hasSuffix(
        "certificate verify failed: self-signed certificate in certificate chain"),
      "\(failure.message)")
    let tls = TLSConfiguration(caFile: receiver.caFile)
    #expect(try receiver.report(tls: tls) == "spans=0 names= service=")
  }
}

/// The receiver process and its throw-away CA.
final class HTTPSReceiver {
  private let receiver: TestTLSReceiverProcess
  var port: Int { receiver.port }
  var caFile: String { receiver.caFile }

  init() throws {
    receiver = try TestTLSReceiverProcess(source: Self.receiverSource, name: "OTLP/HTTPS receiver")
  }

  func stop() { receiver.stop() }

  /// What the receiver decoded so far, asked over the same TLS.
  func report(tls: TLSConfiguration) throws -> String {
    let client = HTTPClient(host: "localhost", port: port, tls: tls, proxy: .direct)
    defer { client.close() }
    let response = try client.request(
      method: "GET", path: "/report", deadline: .now.advanced(by: .seconds(10)))
    return String(decoding: response.body, as: UTF8.self)
  }

  static let receiverSource = #"""
    import os, ssl, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    lock = threading.Lock()
    names, services = [], set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, body, content_type):
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            assert self.path == "/v1/traces", self.path
            assert self.headers["Content-Type"] == "application/x-protobuf"
            request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
            with lock:
                for resource_spans in request.resource_spans:
                    for attribute in resource_spans.resource.attributes:
                        if attribute.key == "service.name":
                            services.add(attribute.value.string_value)
                    for scope_spans in resource_spans.scope_spans:
                        names.extend(span.name for span in scope_spans.spans)
            response = trace_service_pb2.ExportTraceServiceResponse()
            self.reply(response.SerializeToString(), "application/x-protobuf")

        def do_GET(self):
            with lock:
                text = "spans=%d names=%s service=%s" % (
                    len(names), ",".join(names), ",".join(sorted(services)))
            self.reply(text.encode(), "text/plain")

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain("chain.pem", "server.key")
    context.set_alpn_protocols(["http/1.1"])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    with open("port.tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename("port.tmp", "port")
    server.serve_forever()
    """#
}
