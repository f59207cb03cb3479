import Foundation
import Testing

@testable import TraceView

/// The project's Python venv (`.venv` at the package root), if it exists.
private let venvPython: String? = {
  var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  for _ in 0..<4 {
    directory.deleteLastPathComponent()
    let python = directory.appendingPathComponent(".venv/bin/python").path
    if FileManager.default.isExecutableFile(atPath: python) { return python }
  }
  return nil
}()

/// Sends a parent span and its child through the OpenTelemetry Python SDK's OTLP/gRPC exporter;
/// prints the trace id, then the export result.
private let exporterScript = """
  import sys
  from opentelemetry.sdk.resources import Resource
  from opentelemetry.sdk.trace import TracerProvider
  from opentelemetry.sdk.trace.export import SimpleSpanProcessor
  from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
  from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

  memory = InMemorySpanExporter()
  provider = TracerProvider(resource=Resource.create({"service.name": "e2e-client"}))
  provider.add_span_processor(SimpleSpanProcessor(memory))
  tracer = provider.get_tracer("e2e")
  with tracer.start_as_current_span("parent") as parent:
      with tracer.start_as_current_span("child") as child:
          child.set_attribute("category.name", "science")
          child.set_attribute("cache.hit", False)
  print(format(parent.get_span_context().trace_id, "032x"))
  exporter = OTLPSpanExporter(endpoint="127.0.0.1:" + sys.argv[1], insecure=True, timeout=10)
  print(exporter.export(memory.get_finished_spans()).name)
  exporter.shutdown()
  """

/// Collects what the server outputs.
private final class Lines: @unchecked Sendable {
  // @unchecked: `lines` is read and written with `condition` locked.
  private let condition = NSCondition()
  private var lines: [String] = []

  func append(_ line: String) {
    condition.lock()
    lines.append(line)
    condition.broadcast()
    condition.unlock()
  }

  var all: [String] {
    condition.lock()
    defer { condition.unlock() }
    return lines
  }

  /// Blocks until something is output; gives up after 30 s of real time (a safety net against
  /// a hung test, not a timing assertion).
  func waitForOutput() {
    let giveUp = Date(timeIntervalSinceNow: 30)
    condition.lock()
    defer { condition.unlock() }
    while lines.isEmpty && condition.wait(until: giveUp) {}
  }
}

@Suite("Trace view end to end")
struct TraceViewServerEndToEndTests {
  @Test(
    .enabled(if: venvPython != nil, "no .venv/bin/python with the OpenTelemetry SDK at the root"),
    .timeLimit(.minutes(1)))
  func pythonOTLPExporter_spansArePrintedAsALinkedTreeAndWrittenAsJSON() throws {
    let jsonPath = FileManager.default.temporaryDirectory
      .appendingPathComponent("trace-view-\(UUID().uuidString).jsonl").path
    defer { try? FileManager.default.removeItem(atPath: jsonPath) }
    let output = Lines()
    let server = TraceViewServer(
      configuration: .init(
        host: "127.0.0.1", port: 0, quietPeriod: .milliseconds(300), jsonPath: jsonPath),
      output: { output.append($0) })
    let port = try server.start()
    defer { server.stop() }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: venvPython!)
    process.arguments = ["-c", exporterScript, String(port)]
    let stdout = Pipe()
    process.standardOutput = stdout
    try process.run()
    let printed = String(
      decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let lines = printed.split(separator: "\n").map(String.init)
    try #require(process.terminationStatus == 0 && lines.count == 2, "python said: \(printed)")
    let traceID = lines[0]
    #expect(lines[1] == "SUCCESS")

    // The quiet period, not a flush, must print it.
    output.waitForOutput()
    let trees = output.all
    try #require(trees.count == 1)
    let tree = trees[0].split(separator: "\n").map(String.init)
    #expect(tree.count == 3)
    #expect(tree[0].hasPrefix("Trace \(traceID) ("))
    #expect(tree[0].hasSuffix(", 2 spans)"))
    #expect(tree[1].hasPrefix("└── e2e-client  parent  "))
    #expect(tree[2].hasPrefix("    └── e2e-client  child  "))
    #expect(tree[2].hasSuffix("  [category=science cache.hit=false]"))
    #expect(server.receivedSpanCount == 2)

    server.stop()
    let json = try String(contentsOfFile: jsonPath, encoding: .utf8)
    let objects = try json.split(separator: "\n").map {
      try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    #expect(objects.count == 2)
    let child = try #require(objects.first { $0["name"] as? String == "child" })
    let parent = try #require(objects.first { $0["name"] as? String == "parent" })
    #expect(child["trace_id"] as? String == traceID)
    #expect(child["parent_span_id"] as? String == parent["span_id"] as? String)
    #expect(parent["parent_span_id"] as? String == "")
    #expect(child["service"] as? String == "e2e-client")
    #expect(child["kind"] as? String == "internal")
    #expect((child["attributes"] as? [String: Any])?["cache.hit"] as? Bool == false)
  }

  @Test func flush_printsPendingTracesAtOnce_andStopPrintsTheRest() throws {
    let output = Lines()
    let server = TraceViewServer(
      configuration: .init(host: "127.0.0.1", port: 0, quietPeriod: .seconds(60)),
      output: { output.append($0) })
    try server.start()
    let span = TraceViewSpan(
      traceID: "0af7651916cd43dd8448eb211c80319c", spanID: "b7ad6b7169203331", name: "only",
      service: "s", startTimeUnixNano: 1, endTimeUnixNano: 2)
    server.sinkForTesting.receive([span])
    server.flush()
    #expect(output.all.count == 1)
    server.sinkForTesting.receive([span])
    server.stop()
    #expect(output.all.count == 2)
    #expect(server.printedTraceCount == 2)
  }
}
