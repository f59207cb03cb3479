import CGeneratedProtos
import Dispatch
import GRPC
import Logging
import Synchronization
import Testing

@testable import Tracing

/// A collector on loopback built on our gRPC server: records each Export call and answers what
/// `answer` says for the call's index.
final class TestGRPCCollector: Sendable {
  struct Call: Sendable {
    var metadata: [GRPCMetadataField]
    var message: [UInt8]
  }

  /// The calls, shared with the handlers (a `Mutex` cannot be captured by copy).
  private final class CallLog: Sendable {
    let calls = Mutex<[Call]>([])
  }

  let server: GRPCServer
  private let log = CallLog()

  var calls: [Call] { log.calls.withLock { $0 } }
  var port: Int { server.localAddress?.port ?? 0 }

  init(
    port: Int = 0,
    answer: @escaping @Sendable (Int) -> Result<[UInt8], GRPCStatus> = { _ in .success([]) }
  ) throws {
    server = GRPCServer(
      configuration: GRPCServer.Configuration(host: "127.0.0.1", port: port, threads: 1),
      logger: Logger(label: "collector"))
    let log = self.log
    server.register(path: OTLPGRPCExporter.exportPath) { call in
      Handler { message in
        let index = log.calls.withLock { calls in
          calls.append(Call(metadata: call.requestMetadata, message: message))
          return calls.count - 1
        }
        return answer(index)
      }
    }
    try server.start()
  }

  func stop() {
    server.beginGracefulShutdown(drainTimeout: .milliseconds(200))
    server.wait()
  }

  private final class Handler: GRPCCallHandler {
    let respond: (_ message: [UInt8]) -> Result<[UInt8], GRPCStatus>
    var message: [UInt8] = []

    init(respond: @escaping (_ message: [UInt8]) -> Result<[UInt8], GRPCStatus>) {
      self.respond = respond
    }

    func received(message: [UInt8], on call: any GRPCServerCall) { self.message = message }

    func receivedEnd(on call: any GRPCServerCall) {
      switch respond(message) {
      case .success(let response):
        call.send(response)
        call.finish(.ok)
      case .failure(let status):
        call.finish(status)
      }
    }

    func callEnded(_ reason: GRPCCallEndReason) {}
  }
}

@Suite("OTLP/gRPC exporter against a local gRPC collector", .serialized)
struct OTLPGRPCExporterTests {
  static let resource = [SpanAttribute("service.name", "vllm-semantic-router")]

  func exporter(
    port: Int, clock: any ExportClock = SleepRecordingClock(),
    metrics: TracingMetrics = TracingMetrics(), attempts: Int = 5, timeout: Duration = .seconds(10)
  ) throws -> OTLPGRPCExporter {
    try OTLPGRPCExporter(
      endpoint: "127.0.0.1:\(port)",
      options: OTLPExportOptions(
        resource: Self.resource, headers: [("X-API-Key", "secret")], timeout: timeout,
        retryPolicy: OTLPRetryPolicy(maxAttempts: attempts), metrics: metrics, clock: clock))
  }

  var deadline: ContinuousClock.Instant { .now.advanced(by: .seconds(10)) }

  /// An `ExportTraceServiceResponse` with a partial success.
  static func partialSuccess(rejected: UInt8, message: String) -> [UInt8] {
    let text = Array(message.utf8)
    let inner: [UInt8] = [0x08, rejected, 0x12, UInt8(text.count)] + text
    return [0x0A, UInt8(inner.count)] + inner
  }

  @Test func export_sendsTheRequestWithMetadata_onOneConnection() throws {
    let collector = try TestGRPCCollector()
    defer { collector.stop() }
    let exporter = try exporter(port: collector.port)
    defer { exporter.shutdown() }
    #expect(
      exporter.export([sampledSpan("one"), sampledSpan("two")], deadline: deadline) == .success)
    #expect(exporter.export([sampledSpan("three")], deadline: deadline) == .success)
    let calls = collector.calls
    #expect(calls.count == 2)
    #expect(OTLPHTTPExporterTests.spanNames(in: calls[0].message) == ["one", "two"])
    #expect(OTLPHTTPExporterTests.spanNames(in: calls[1].message) == ["three"])
    #expect(calls[0].metadata.contains(GRPCMetadataField(name: "x-api-key", value: "secret")))
    #expect(calls[0].metadata.contains { $0.name == "grpc-timeout" })
  }

  /// A request far bigger than a DATA frame and the peer's initial flow-control window (sent
  /// as the 5-byte prefix plus the request array queued without a copy) arrives byte for byte.
  @Test func export_ofALargeBatch_arrivesAsTheEncodedRequest() throws {
    let collector = try TestGRPCCollector()
    defer { collector.stop() }
    let exporter = try exporter(port: collector.port)
    defer { exporter.shutdown() }
    let batch = (0..<3000).map { i in
      var span = sampledSpan("span-\(i)")
      span.attributes = [SpanAttribute("url.path", .string("/v1/chat/completions/\(i)"))]
      return span
    }
    let expected = OTLPTraceEncoder(
      resource: Self.resource, scopeName: "semantic-router",
      scopeVersion: TracingConfiguration.defaultServiceVersion
    ).encode(batch)
    #expect(expected.count > 200_000)
    #expect(exporter.export(batch, deadline: deadline) == .success)
    #expect(exporter.export([sampledSpan("after")], deadline: deadline) == .success)
    let calls = collector.calls
    #expect(calls.count == 2)
    #expect(calls.first?.message == expected)
    #expect(calls.last.map { OTLPHTTPExporterTests.spanNames(in: $0.message) } == ["after"])
  }

  @Test(arguments: [
    GRPCStatusCode.cancelled, .deadlineExceeded, .aborted, .outOfRange, .unavailable, .dataLoss,
  ])
  func export_retriesTheRetryableCodes(code: GRPCStatusCode) throws {
    let collector = try TestGRPCCollector { index in
      index == 0 ? .failure(GRPCStatus(code, "busy")) : .success([])
    }
    defer { collector.stop() }
    let sleeps = SleepRecordingClock()
    let exporter = try exporter(port: collector.port, clock: sleeps)
    defer { exporter.shutdown() }
    #expect(exporter.export([sampledSpan("retried")], deadline: deadline) == .success)
    #expect(collector.calls.count == 2)
    #expect(sleeps.durations.count == 1)
    #expect(sleeps.durations[0] <= .seconds(1))
  }

  @Test(arguments: [
    GRPCStatusCode.invalidArgument, .unauthenticated, .permissionDenied, .internal,
    .resourceExhausted, .unimplemented,
  ])
  func export_doesNotRetryOtherCodes(code: GRPCStatusCode) throws {
    let collector = try TestGRPCCollector { _ in .failure(GRPCStatus(code, "no")) }
    defer { collector.stop() }
    let sleeps = SleepRecordingClock()
    let exporter = try exporter(port: collector.port, clock: sleeps)
    defer { exporter.shutdown() }
    guard case .failure(let failure) = exporter.export([sampledSpan("x")], deadline: deadline)
    else {
      Issue.record("export succeeded")
      return
    }
    #expect(failure.reason == .rejected)
    #expect(collector.calls.count == 1)
    #expect(sleeps.durations.isEmpty)
  }

  @Test func export_retriesUntilAttemptsRunOut_withGrowingJitteredBackoff() throws {
    let collector = try TestGRPCCollector { _ in .failure(GRPCStatus(.aborted, "again")) }
    defer { collector.stop() }
    let sleeps = SleepRecordingClock()
    let exporter = try exporter(port: collector.port, clock: sleeps, attempts: 4)
    defer { exporter.shutdown() }
    guard case .failure(let failure) = exporter.export([sampledSpan("x")], deadline: deadline)
    else {
      Issue.record("export succeeded")
      return
    }
    #expect(failure.reason == .retriesExhausted)
    #expect(collector.calls.count == 4)
    #expect(sleeps.durations.count == 3)
    #expect(sleeps.durations.allSatisfy { $0 <= .seconds(5) })
  }

  @Test func partialSuccess_isCountedAndNotRetried() throws {
    let collector = try TestGRPCCollector { _ in
      .success(Self.partialSuccess(rejected: 2, message: "too old"))
    }
    defer { collector.stop() }
    let metrics = TracingMetrics()
    let exporter = try exporter(port: collector.port, metrics: metrics)
    defer { exporter.shutdown() }
    #expect(exporter.export([sampledSpan("a"), sampledSpan("b")], deadline: deadline) == .success)
    #expect(collector.calls.count == 1)
    #expect(metrics.snapshot().spansRejectedByCollector == 2)
  }

  @Test func collectorDown_failsAsConnection_thenExportResumesWhenItComesBack() throws {
    let first = try TestGRPCCollector()
    let port = first.port
    first.stop()
    let exporter = try exporter(port: port, attempts: 2)
    defer { exporter.shutdown() }
    guard case .failure(let failure) = exporter.export([sampledSpan("lost")], deadline: deadline)
    else {
      Issue.record("export to a closed port succeeded")
      return
    }
    #expect(failure.reason == .connection)

    let collector = try TestGRPCCollector(port: port)
    defer { collector.stop() }
    #expect(exporter.export([sampledSpan("back")], deadline: deadline) == .success)
    #expect(OTLPHTTPExporterTests.spanNames(in: collector.calls[0].message) == ["back"])
  }

  @Test func collectorRestart_isReconnected() throws {
    let first = try TestGRPCCollector()
    let port = first.port
    let exporter = try exporter(port: port)
    defer { exporter.shutdown() }
    #expect(exporter.export([sampledSpan("before")], deadline: deadline) == .success)
    first.stop()
    let second = try TestGRPCCollector(port: port)
    defer { second.stop() }
    #expect(exporter.export([sampledSpan("after")], deadline: deadline) == .success)
    #expect(OTLPHTTPExporterTests.spanNames(in: second.calls.last?.message ?? []) == ["after"])
  }

  @Test func slowCollector_endsAtTheExportTimeout() throws {
    // The collector answers only once the export has returned: only the export's own timeout
    // (on the real clock, as a collector's slowness is real) can have ended it.
    let release = DispatchSemaphore(value: 0)
    let collector = try TestGRPCCollector { _ in
      release.wait()
      return .success([])
    }
    defer { collector.stop() }
    let exporter = try exporter(
      port: collector.port, clock: SystemExportClock(), timeout: .milliseconds(300))
    defer { exporter.shutdown() }
    let result = exporter.export([sampledSpan("x")], deadline: deadline)
    release.signal()
    guard case .failure(let failure) = result else {
      Issue.record("export succeeded")
      return
    }
    #expect(failure.reason == .timeout)
    #expect(collector.calls.count == 1)
  }

  @Test func shutdown_failsLaterExports() throws {
    let collector = try TestGRPCCollector()
    defer { collector.stop() }
    let exporter = try exporter(port: collector.port)
    exporter.shutdown()
    #expect(
      exporter.export([sampledSpan("late")], deadline: deadline)
        == .failure(.init(.shutdown, "exporter shut down")))
  }

  @Test(
    arguments: [
      ("collector:4317", nil, "collector", 4317),
      ("127.0.0.1:9", nil, "127.0.0.1", 9),
      ("http://collector", "http", "collector", 4317),
      ("http://[::1]:4000/ignored/path", "http", "::1", 4000),
      ("https://collector:443", "https", "collector", 443),
    ] as [(String, String?, String, Int)])
  func endpoint_isHostPortOrURL(_ text: String, _ scheme: String?, _ host: String, _ port: Int)
    throws
  {
    let target = try OTLPGRPCExporter.Target(endpoint: text)
    #expect(target.scheme == scheme)
    #expect(target.host == host)
    #expect(target.port == port)
  }

  @Test(arguments: ["ftp://x:1", "http://:4317", "x:0", "x:99999", "x:port"])
  func endpoint_rejectsBadOnes(_ text: String) {
    #expect(throws: TracingConfigurationError.self) {
      try OTLPGRPCExporter.Target(endpoint: text)
    }
  }

  @Test func tls_followsTheSchemeThenInsecure_andTLSToAPlaintextCollectorFails() throws {
    let collector = try TestGRPCCollector()
    defer { collector.stop() }
    for (endpoint, insecure) in [
      ("https://127.0.0.1:\(collector.port)", true), ("127.0.0.1:\(collector.port)", false),
    ] {
      let exporter = try OTLPGRPCExporter(
        endpoint: endpoint, insecure: insecure,
        options: OTLPExportOptions(
          resource: [], retryPolicy: OTLPRetryPolicy(maxAttempts: 1)))
      defer { exporter.shutdown() }
      guard case .failure(let failure) = exporter.export([sampledSpan("s")], deadline: deadline)
      else {
        Issue.record("TLS export to a cleartext collector succeeded: \(endpoint)")
        continue
      }
      #expect(failure.message.contains("TLS handshake failed"), "\(failure.message)")
    }
    let plain = try OTLPGRPCExporter(
      endpoint: "http://127.0.0.1:\(collector.port)", insecure: false,
      options: OTLPExportOptions(
        resource: []))
    defer { plain.shutdown() }
    #expect(plain.export([sampledSpan("plain")], deadline: deadline) == .success)
    #expect(collector.calls.count == 1)
  }
}
