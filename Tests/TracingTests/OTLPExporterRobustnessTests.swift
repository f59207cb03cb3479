import Dispatch
import GRPC
import Synchronization
import Testing

@testable import Tracing

/// What the OTLP exporters do when the collector's name does not resolve yet, and how they
/// shut down while an export is retrying or waiting for an answer.
@Suite("OTLP exporters: unresolvable collectors and shutdown", .serialized)
struct OTLPExporterRobustnessTests {
  /// A call run on another thread, whose result the test waits for.
  final class Background<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Value) {
      DispatchQueue.global().async { [self] in
        value.withLock { $0 = body() }
        done.signal()
      }
    }

    /// The result; nil if the call has not returned within 30 s of real time (a safety net
    /// against a hung test, not a timing assertion).
    func result() -> Value? {
      guard done.wait(timeout: .now() + 30) == .success else { return nil }
      return value.withLock { $0 }
    }
  }

  static let shutDown = SpanExportResult.failure(SpanExportFailure(.shutdown, "exporter shut down"))

  // MARK: - Names that do not resolve (RFC 6761: .invalid never does)

  /// The OTLP exporters, to build one against `endpoint`'s protocol.
  enum OTLPProtocol: CaseIterable, Sendable {
    case grpc, http

    var unresolvableEndpoint: String {
      self == .grpc ? "collector.invalid:4317" : "http://collector.invalid:4318"
    }

    func exporter(_ options: OTLPExportOptions) throws -> any SpanExporter {
      switch self {
      case .grpc: try OTLPGRPCExporter(endpoint: unresolvableEndpoint, options: options)
      case .http: try OTLPHTTPExporter(endpoint: unresolvableEndpoint, options: options)
      }
    }
  }

  @Test(arguments: OTLPProtocol.allCases)
  func toAnUnresolvableName_isBuilt_andExportsFailAsResolve(_ otlp: OTLPProtocol) throws {
    let sleeps = SleepRecordingClock()
    let exporter = try otlp.exporter(
      OTLPExportOptions(
        resource: [], timeout: .seconds(60), retryPolicy: OTLPRetryPolicy(maxAttempts: 2),
        clock: sleeps))
    defer { exporter.shutdown() }
    let result = exporter.export([sampledSpan("s")], deadline: .now.advanced(by: .seconds(60)))
    guard case .failure(let failure) = result else {
      Issue.record("export to collector.invalid succeeded")
      return
    }
    #expect(failure.reason == .resolve)
    if otlp == .grpc {
      #expect(failure.message.contains("cannot resolve collector.invalid"), "\(failure.message)")
    }
    // Looked up again on the retry: two attempts, one wait between.
    #expect(sleeps.durations.count == 1)
  }

  @Test(arguments: [
    (TracingConfiguration.ExporterType.otlp, "http://collector.invalid:4317"),
    (.otlp, "collector.invalid:4317"),
    (.otlpHTTP, "http://collector.invalid:4318/v1/traces"),
  ])
  func pipeline_withAnUnresolvableCollector_starts(
    type: TracingConfiguration.ExporterType, endpoint: String
  ) throws {
    let pipeline = try TracingPipeline(
      configuration: TracingConfiguration(
        enabled: true, exporter: .init(type: type, endpoint: endpoint)))
    #expect(pipeline.tracer.isEnabled)
    // Nothing ended: the shutdown has nothing to export.
    #expect(pipeline.shutdown(timeout: .seconds(30)))
  }

  @Test func processor_withAnUnresolvableCollector_dropsPastTheQueue_andCountsFailures() throws {
    let metrics = TracingMetrics()
    let exporter = try OTLPGRPCExporter(
      endpoint: "collector.invalid:4317",
      options: OTLPExportOptions(
        resource: [], timeout: .seconds(60), retryPolicy: OTLPRetryPolicy(maxAttempts: 2),
        metrics: metrics, clock: SleepRecordingClock()))
    // The schedule never comes on this clock: only the shutdown exports.
    let processor = BatchSpanProcessor(
      exporter: exporter,
      configuration: BatchSpanProcessorConfiguration(
        maxQueueSize: 2, scheduleDelay: .seconds(3600), maxExportBatchSize: 2,
        exportTimeout: .seconds(60)),
      metrics: metrics, clock: ManualExportClock())
    // A burst far past the queue: each export of two spans costs the export thread two name
    // lookups, so most of the burst finds the queue full. Every span is either dropped or in a
    // failed export, each counted.
    let burst = 1000
    for i in 0..<burst { processor.onEnd(sampledSpan("s\(i)")) }
    let drained = Background { processor.shutdown(timeout: .seconds(60)) }
    #expect(drained.result() == true)
    let figures = metrics.snapshot()
    #expect(figures.spansDroppedQueueFull > 0)
    #expect(figures.spansDroppedQueueFull + figures.spansFailedExport == UInt64(burst))
    #expect(figures.spansExported == 0)
    #expect(figures.exportFailures[.resolve, default: 0] >= 1)
    #expect(figures.exportFailures.keys.allSatisfy { $0 == .resolve })
  }

  // MARK: - Shutdown during an export

  @Test func otlpHTTP_shutdownDuringARetryWait_endsTheExportAsShutdown() throws {
    let server = TestHTTPServer { _, _ in .init(status: 503, headers: [("Retry-After", "3600")]) }
    defer { server.stop() }
    let clock = ManualExportClock()
    let start = clock.now
    let exporter = try OTLPHTTPExporter(
      endpoint: "http://127.0.0.1:\(server.port)",
      options: OTLPExportOptions(
        resource: [], timeout: .seconds(7200), retryPolicy: OTLPRetryPolicy(maxAttempts: 100),
        clock: clock))
    let export = Background {
      exporter.export([sampledSpan("s")], deadline: start.advanced(by: .seconds(7200)))
    }
    // The collector's 503 came back and the export waits to retry in an hour.
    #expect(clock.waitForWaiter(until: start.advanced(by: .seconds(3600))))
    #expect(server.requests.count == 1)

    // Before the fix this blocked on the exporter's lock for the whole retry sequence.
    #expect(Background { exporter.shutdown() }.result() != nil)
    #expect(export.result() == Self.shutDown)
    #expect(clock.now == start)
    #expect(server.requests.count == 1)
  }

  @Test func otlpHTTP_shutdownDuringARequest_abortsIt() throws {
    let arrived = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    let server = TestHTTPServer { _, _ in
      arrived.signal()
      _ = release.wait(timeout: .now() + 60)
      return .init(status: 200)
    }
    defer {
      release.signal()
      server.stop()
    }
    let exporter = try OTLPHTTPExporter(
      endpoint: "http://127.0.0.1:\(server.port)",
      options: OTLPExportOptions(
        resource: [], timeout: .seconds(7200), retryPolicy: OTLPRetryPolicy(maxAttempts: 100),
        clock: ManualExportClock()))
    let export = Background {
      exporter.export([sampledSpan("s")], deadline: .now.advanced(by: .seconds(7200)))
    }
    #expect(arrived.wait(timeout: .now() + 30) == .success)
    // The collector holds the answer until the export has returned, and the export's deadline
    // is two hours away: only the shutdown can have ended it.
    #expect(Background { exporter.shutdown() }.result() != nil)
    #expect(export.result() == Self.shutDown)
    #expect(server.requests.count == 1)
  }

  @Test func otlpGRPC_shutdownDuringARetryWait_endsTheExportAsShutdown() throws {
    let collector = try TestGRPCCollector { _ in .failure(GRPCStatus(.unavailable, "busy")) }
    defer { collector.stop() }
    let clock = ManualExportClock()
    let start = clock.now
    let exporter = try OTLPGRPCExporter(
      endpoint: "127.0.0.1:\(collector.port)",
      options: OTLPExportOptions(
        resource: [], timeout: .seconds(7200),
        retryPolicy: OTLPRetryPolicy(
          maxAttempts: 100, initialBackoff: .seconds(3600), maxBackoff: .seconds(3600)),
        clock: clock))
    let export = Background {
      exporter.export([sampledSpan("s")], deadline: start.advanced(by: .seconds(7200)))
    }
    #expect(clock.waitForWaiter { $0 > start })
    let calls = collector.calls.count
    #expect(calls >= 1)

    #expect(Background { exporter.shutdown() }.result() != nil)
    #expect(export.result() == Self.shutDown)
    #expect(clock.now == start)
    #expect(collector.calls.count == calls)
  }

  @Test func processor_shutdownWithAnExportRetrying_returnsAtItsTimeout() throws {
    let server = TestHTTPServer { _, _ in .init(status: 503, headers: [("Retry-After", "3600")]) }
    defer { server.stop() }
    let clock = ManualExportClock()
    let start = clock.now
    let metrics = TracingMetrics()
    let exporter = try OTLPHTTPExporter(
      endpoint: "http://127.0.0.1:\(server.port)",
      options: OTLPExportOptions(
        resource: [], timeout: .seconds(7200), retryPolicy: OTLPRetryPolicy(maxAttempts: 100),
        metrics: metrics, clock: clock))
    let processor = BatchSpanProcessor(
      exporter: exporter,
      configuration: BatchSpanProcessorConfiguration(
        scheduleDelay: .seconds(600), exportTimeout: .seconds(7200)),
      metrics: metrics, clock: clock)
    processor.onEnd(sampledSpan("s"))

    let shutdown = Background { processor.shutdown(timeout: .seconds(5)) }
    // The export is waiting to retry in an hour, the shutdown for its 5 s.
    #expect(clock.waitForWaiter(until: start.advanced(by: .seconds(3600))))
    #expect(clock.waitForWaiter(until: start.advanced(by: .seconds(5))))
    clock.advance(by: .seconds(5))
    // Not drained in time (false), but returned: its exporter shutdown did not wait out the
    // export's retries.
    #expect(shutdown.result() == false)
    // Returns once the export has ended (it signals the flush) or the thread has exited.
    #expect(Background { processor.forceFlush(timeout: .seconds(3600)) }.result() != nil)
    #expect(clock.now == start.advanced(by: .seconds(5)))
    #expect(server.requests.count == 1)
    let figures = metrics.snapshot()
    #expect(figures.exportFailures[.shutdown] == 1)
    #expect(figures.spansFailedExport == 1)
  }
}
