import CGeneratedProtos
import Testing
import Transport

@testable import Tracing

@Suite("OTLP/HTTP exporter against a local HTTP server")
struct OTLPHTTPExporterTests {
  static let resource = [SpanAttribute("service.name", "vllm-semantic-router")]

  /// Sleeps recorded instead of slept.
  func exporter(
    _ server: TestHTTPServer, path: String = "/v1/traces",
    sleeps: SleepRecordingClock = SleepRecordingClock(),
    metrics: TracingMetrics = TracingMetrics(), attempts: Int = 5
  ) throws -> OTLPHTTPExporter {
    try OTLPHTTPExporter(
      endpoint: "http://127.0.0.1:\(server.port)\(path)",
      options: OTLPExportOptions(
        resource: Self.resource, headers: [("x-api-key", "secret")], timeout: .seconds(10),
        retryPolicy: OTLPRetryPolicy(maxAttempts: attempts), metrics: metrics, clock: sleeps))
  }

  static func spanNames(in body: [UInt8]) -> [String] {
    body.withUnsafeBufferPointer { buffer in
      guard
        let request = opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
          nil, buffer.count, buffer.baseAddress)
      else { return ["<undecodable>"] }
      defer {
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(
          request, nil)
      }
      let scope = request.pointee.resource_spans[0]!.pointee.scope_spans[0]!.pointee
      return (0..<scope.n_spans).map { String(cString: scope.spans[$0]!.pointee.name) }
    }
  }

  var deadline: ContinuousClock.Instant { .now.advanced(by: .seconds(10)) }

  @Test func export_postsProtobufToV1Traces_andKeepsTheConnectionAlive() throws {
    let server = TestHTTPServer { _, _ in .init(status: 200) }
    defer { server.stop() }
    let exporter = try exporter(server)
    #expect(exporter.export([sampledSpan("one"), sampledSpan("two")], deadline: deadline) == .success)
    #expect(exporter.export([sampledSpan("three")], deadline: deadline) == .success)
    let requests = server.requests
    #expect(requests.count == 2)
    #expect(requests.allSatisfy { $0.method == "POST" && $0.path == "/v1/traces" })
    #expect(requests[0].headers["content-type"] == "application/x-protobuf")
    #expect(requests[0].headers["x-api-key"] == "secret")
    #expect(requests[0].headers["host"] == "127.0.0.1:\(server.port)")
    #expect(Self.spanNames(in: requests[0].body) == ["one", "two"])
    #expect(Self.spanNames(in: requests[1].body) == ["three"])
    #expect(server.connections == 1)
    exporter.shutdown()
    #expect(exporter.export([sampledSpan("late")], deadline: deadline) == .failure(.init(.shutdown, "exporter shut down")))
  }

  @Test func export_on503WithRetryAfter_waitsThatLongAndRetries() throws {
    let server = TestHTTPServer { _, index in
      index == 0 ? .init(status: 503, headers: [("Retry-After", "2")]) : .init(status: 200)
    }
    defer { server.stop() }
    let sleeps = SleepRecordingClock()
    let exporter = try exporter(server, sleeps: sleeps)
    #expect(exporter.export([sampledSpan("retried")], deadline: deadline) == .success)
    #expect(sleeps.durations == [.seconds(2)])
    #expect(server.requests.count == 2)
    #expect(Self.spanNames(in: server.requests[1].body) == ["retried"])
  }

  @Test(arguments: [429, 502, 504])
  func export_onOtherRetryableCodes_backsOffWithJitterUntilAttemptsRunOut(status: Int) throws {
    let server = TestHTTPServer { _, _ in .init(status: status) }
    defer { server.stop() }
    let sleeps = SleepRecordingClock()
    let result = try exporter(server, sleeps: sleeps, attempts: 3).export(
      [sampledSpan("s")], deadline: deadline)
    #expect(result == .failure(.init(.retriesExhausted, "HTTP \(status)")))
    #expect(server.requests.count == 3)
    #expect(sleeps.durations.count == 2)
    // Full jitter within the exponential bound: 1 s, then 1.5 s.
    #expect(sleeps.durations[0] <= .seconds(1))
    #expect(sleeps.durations[1] <= .milliseconds(1500))
  }

  @Test(arguments: [400, 401, 404, 413, 500])
  func export_onNonRetryableCode_failsWithoutRetry(status: Int) throws {
    let server = TestHTTPServer { _, _ in .init(status: status, body: Array("nope".utf8)) }
    defer { server.stop() }
    let sleeps = SleepRecordingClock()
    let result = try exporter(server, sleeps: sleeps).export([sampledSpan("s")], deadline: deadline)
    #expect(result == .failure(.init(.rejected, "HTTP \(status)")))
    #expect(server.requests.count == 1)
    #expect(sleeps.durations.isEmpty)
  }

  @Test func export_partialSuccess_isCountedAndNotRetried() throws {
    // ExportTraceServiceResponse{partial_success{rejected_spans: 1, error_message: "bad"}}
    let body: [UInt8] = [0x0a, 0x07, 0x08, 0x01, 0x12, 0x03] + Array("bad".utf8)
    let server = TestHTTPServer { _, _ in
      .init(status: 200, headers: [("Content-Type", "application/x-protobuf")], body: body)
    }
    defer { server.stop() }
    let metrics = TracingMetrics()
    let exporter = try exporter(server, metrics: metrics)
    #expect(exporter.export([sampledSpan("a"), sampledSpan("b")], deadline: deadline) == .success)
    #expect(server.requests.count == 1)
    #expect(metrics.snapshot().spansRejectedByCollector == 1)
  }

  @Test func export_afterTheServerClosesTheConnection_reconnects() throws {
    let server = TestHTTPServer { _, _ in .init(status: 200, close: true) }
    defer { server.stop() }
    let exporter = try exporter(server)
    for i in 0..<3 {
      #expect(exporter.export([sampledSpan("s\(i)")], deadline: deadline) == .success)
    }
    #expect(server.connections == 3)
  }

  @Test func export_withTheCollectorDown_failsAsConnectionAfterRetries() throws {
    let port = UnlistenedPort()
    defer { port.close() }
    let sleeps = SleepRecordingClock()
    let down = try OTLPHTTPExporter(
      endpoint: "http://127.0.0.1:\(port.number)",
      options: OTLPExportOptions(
        resource: [], retryPolicy: OTLPRetryPolicy(maxAttempts: 2), clock: sleeps))
    guard case .failure(let failure) = down.export([sampledSpan("s")], deadline: deadline) else {
      Issue.record("export to a closed port succeeded")
      return
    }
    #expect(failure.reason == .connection)
    #expect(sleeps.durations.count == 1)
  }

  @Test func init_refusesBadURLsAndUnloadableTLSFiles() throws {
    _ = try OTLPHTTPExporter(
      endpoint: "https://collector:4318",
      options: OTLPExportOptions(
        resource: []))
    let error = try #require(throws: TracingConfigurationError.self) {
      try OTLPHTTPExporter(
        endpoint: "https://collector:4318",
        options: OTLPExportOptions(
          resource: [], tls: TLSConfiguration(caFile: "/nonexistent/ca.pem")))
    }
    #expect(error.reason == .tls)
    #expect(error.message.hasPrefix("https://collector:4318: CA file /nonexistent/ca.pem: "))
    #expect(throws: TracingConfigurationError.self) {
      try OTLPHTTPExporter(
        endpoint: "collector:4318",
        options: OTLPExportOptions(
          resource: []))
    }
    #expect(throws: TracingConfigurationError.self) {
      try OTLPHTTPExporter(
        endpoint: "http://collector:99999",
        options: OTLPExportOptions(
          resource: []))
    }
  }

  @Test func retryAfter_parsesSecondsAndHTTPDates() {
    #expect(OTLPRetryPolicy.retryAfter("7", nowUnixSeconds: 0) == .seconds(7))
    #expect(OTLPRetryPolicy.retryAfter(nil, nowUnixSeconds: 0) == nil)
    #expect(OTLPRetryPolicy.retryAfter("soon", nowUnixSeconds: 0) == nil)
    // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
    #expect(
      OTLPRetryPolicy.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT", nowUnixSeconds: 784_111_770)
        == .seconds(7))
  }

  @Test func grpcRetryableCodes_matchTheOTLPSpec() {
    let retryable = [1, 4, 10, 11, 14, 15]
    for code in 0...16 {
      #expect(
        OTLPRetryPolicy.isRetryable(grpcStatus: .init(rawValue: UInt32(code))!)
          == retryable.contains(code))
    }
  }
}
