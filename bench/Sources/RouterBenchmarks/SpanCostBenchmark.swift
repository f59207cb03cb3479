import Foundation
import Tracing

/// The tracing pipeline's CPU cost per span: start, the router's 12 attributes, end, the batch
/// span processor, OTLP encoding and OTLP/gRPC export to a receiver, with the process's CPU
/// time (export thread included) over many spans.
///
/// Spans come in requests of five like the router's (a SERVER root and four children), with
/// the OpenTelemetry defaults (queue 2048, batches of 512). The benchmark flushes every 1024
/// spans so no span is dropped for a full queue; it fails unless every span was exported.
/// bench/otel_python_spans.py makes the same spans with the OpenTelemetry Python SDK.
struct SpanCostBenchmark {
  /// Spans per `forceFlush`: half the queue, so producing never outruns it.
  static let flushEvery = 1024

  let endpoint: String
  let spans: Int
  let rounds: Int

  init(arguments: BenchmarkArguments) throws(BenchmarkArguments.Failure) {
    endpoint = try arguments.string("endpoint")
    spans = try arguments.int("spans", default: 200_000)
    rounds = try arguments.int("rounds", default: 3)
  }

  func run() throws {
    let configuration = TracingConfiguration(
      enabled: true,
      exporter: .init(type: .otlp, endpoint: endpoint, insecure: true),
      sampling: .init(type: .alwaysOn))
    let pipeline = try TracingPipeline(configuration: configuration)
    let tracer = pipeline.tracer
    // Warm-up: connect and fill the allocator's caches.
    var total = try emit(Self.flushEvery * 2, tracer: tracer, pipeline: pipeline)

    var perSpan: [Double] = []
    for _ in 0..<rounds {
      let start = CPUTime.now()
      let made = try emit(spans, tracer: tracer, pipeline: pipeline)
      perSpan.append(CPUTime.now().since(start) / Double(made))
      total += made
    }
    let figures = pipeline.metrics.snapshot()
    guard pipeline.shutdown(timeout: .seconds(10)) else {
      throw BenchmarkArguments.Failure("the span pipeline did not shut down in time")
    }
    guard figures.spansExported == UInt64(total), figures.spansDroppedQueueFull == 0 else {
      throw BenchmarkArguments.Failure(
        "exported \(figures.spansExported) of \(total) spans, dropped "
          + "\(figures.spansDroppedQueueFull), failed \(figures.spansFailedExport)")
    }
    let median = perSpan.sorted()[perSpan.count / 2]
    let result: [String: Any] = [
      "benchmark": "spans", "implementation": "semantic-router Tracing", "spans": spans,
      "rounds": rounds, "cpu_us_per_span": median, "spans_per_cpu_second": 1e6 / median,
      "round_cpu_us_per_span": perSpan, "exported": figures.spansExported,
    ]
    try ResultLine.write(result)
  }

  /// Makes at least `count` spans (whole requests of five), waits until all are exported and
  /// returns how many it made.
  private func emit(_ count: Int, tracer: Tracer, pipeline: TracingPipeline) throws -> Int {
    var made = 0
    while made < count {
      let root = tracer.startSpan(
        "semantic_router.request.received", kind: .server, parent: nil)
      setRouterAttributes(root)
      for name in Self.childNames {
        let child = tracer.startSpan(name, kind: .internal, parent: root.context)
        setRouterAttributes(child)
        child.end()
      }
      root.end()
      made += 5
      if made % Self.flushEvery < 5 || made >= count {
        guard pipeline.forceFlush(timeout: .seconds(10)) else {
          throw BenchmarkArguments.Failure("a flush of the span pipeline timed out")
        }
      }
    }
    return made
  }

  private static let childNames = [
    "semantic_router.classification", "semantic_router.cache.lookup",
    "semantic_router.routing.decision", "semantic_router.upstream.request",
  ]

  /// The 12 attributes the router sets on a routed request's spans.
  private func setRouterAttributes(_ span: Span) {
    span.setAttribute("category.name", "math")
    span.setAttribute("classifier.type", "statistical")
    span.setAttribute("classification.confidence", 0.87)
    span.setAttribute("cache.hit", false)
    span.setAttribute("routing.original_model", "auto")
    span.setAttribute("routing.selected_model", "llama-3.1-70b")
    span.setAttribute("routing.reason", "category_model")
    span.setAttribute("endpoint.name", "model-a-1")
    span.setAttribute("endpoint.address", "http://127.0.0.1:8101")
    span.setAttribute("http.request.method", "POST")
    span.setAttribute("url.path", "/v1/chat/completions")
    span.setAttribute("http.response.status_code", 200)
  }
}
