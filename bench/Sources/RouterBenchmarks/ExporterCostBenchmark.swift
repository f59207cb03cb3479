import Foundation
import Synchronization
import Tracing

/// CPU per OTLP export of one batch for the two export paths side by side: OTLP/HTTP
/// (`OTLPHTTPExporter`, libcurl) and OTLP/gRPC (`OTLPGRPCExporter`, our nghttp2 client), each
/// plaintext to its own receiver on loopback (bench/otlp_http_sink.py, bench/otlp_sink.py).
///
/// One batch of `--batch` spans (the router's five spans per request, as `spans --shape router`
/// makes them) is exported `--exports` times per round; rounds alternate between the two
/// exporters so a drift of the machine's speed reaches both. Each export encodes the batch
/// again and waits for the receiver's answer on the calling thread, as the batch span
/// processor's export thread does. CPU: the whole process (getrusage), median of the rounds;
/// wall time beside it. Fails unless every export succeeded.
struct ExporterCostBenchmark {
  let grpcEndpoint: String
  let httpEndpoint: String
  let batchSize: Int
  let exports: Int
  let rounds: Int

  init(arguments: BenchmarkArguments) throws(BenchmarkArguments.Failure) {
    grpcEndpoint = try arguments.string("grpc-endpoint")
    httpEndpoint = try arguments.string("http-endpoint")
    batchSize = try arguments.int("batch", default: 512)
    exports = try arguments.int("exports", default: 200)
    rounds = try arguments.int("rounds", default: 5)
  }

  func run() throws {
    let batch = makeBatch()
    let resource = [SpanAttribute("service.name", "vllm-semantic-router")]
    let exporters: [(name: String, exporter: any SpanExporter)] = [
      ("OTLP/HTTP (libcurl)", try OTLPHTTPExporter(
        endpoint: httpEndpoint,
        options: OTLPExportOptions(
          resource: resource))),
      ("OTLP/gRPC (nghttp2)", try OTLPGRPCExporter(
        endpoint: grpcEndpoint,
        options: OTLPExportOptions(
          resource: resource))),
    ]
    // Warm-up: connect, fill the allocator's caches.
    for (name, exporter) in exporters { try export(batch, times: 10, with: exporter, name: name) }

    var cpu = Array(repeating: [Double](), count: exporters.count)
    var wall = Array(repeating: [Double](), count: exporters.count)
    for _ in 0..<rounds {
      for (index, (name, exporter)) in exporters.enumerated() {
        let startCPU = CPUTime.now()
        let startWall = ContinuousClock.now
        try export(batch, times: exports, with: exporter, name: name)
        cpu[index].append(CPUTime.now().since(startCPU) / Double(exports))
        wall[index].append((ContinuousClock.now - startWall).microseconds / Double(exports))
      }
    }
    for (index, (name, exporter)) in exporters.enumerated() {
      exporter.shutdown()
      let median = cpu[index].sorted()[rounds / 2]
      try ResultLine.write([
        "benchmark": "exporters", "exporter": name, "batch": batchSize, "exports": exports,
        "rounds": rounds, "cpu_us_per_export": median,
        "cpu_us_per_span": median / Double(batchSize),
        "round_cpu_us_per_export": cpu[index],
        "wall_us_per_export": wall[index].sorted()[rounds / 2],
      ])
    }
  }

  private func export(
    _ batch: [SpanData], times: Int, with exporter: any SpanExporter, name: String
  ) throws {
    for _ in 0..<times {
      let result = exporter.export(batch, deadline: .now.advanced(by: .seconds(10)))
      guard result == .success else {
        throw BenchmarkArguments.Failure("\(name) export failed: \(result)")
      }
    }
  }

  /// `batchSize` spans of the router's shape, ended and collected.
  private func makeBatch() -> [SpanData] {
    let collector = CollectingSpanProcessor()
    let tracer = Tracer(processor: collector)
    while collector.count < batchSize { SpanCostBenchmark.emitRouterRequest(tracer) }
    return Array(collector.spans.prefix(batchSize))
  }
}

/// Keeps every ended span (the benchmark's batch).
private final class CollectingSpanProcessor: SpanProcessor {
  private let ended = Mutex<[SpanData]>([])

  var spans: [SpanData] { ended.withLock { $0 } }
  var count: Int { ended.withLock { $0.count } }

  func onEnd(_ span: consuming SpanData) {
    let span = span
    ended.withLock { $0.append(span) }
  }

  func forceFlush(timeout: Duration) -> Bool { true }
  func shutdown(timeout: Duration) -> Bool { true }
}
