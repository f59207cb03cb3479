import Foundation
import Tracing

/// The tracing pipeline's CPU cost per span: start, attributes, end, the batch span processor,
/// OTLP encoding and OTLP/gRPC export to a receiver, with the process's CPU time (export
/// thread included) over many spans.
///
/// Spans come in requests of five, with the OpenTelemetry defaults (queue 2048, batches of 512),
/// in one of two shapes (`--shape`):
///
/// - `router` (default): the spans the router records for a routed, non-streamed request that
///   misses the cache and is answered 200 (TracingRequestObserver): a SERVER root with 15
///   attributes, then under it, one after the other, classification (3), cache lookup (1),
///   routing decision (5) and the CLIENT upstream request (11): 35 attributes, 7 per span.
/// - `uniform12`: a SERVER root and four INTERNAL children, each with the same 12 attributes,
///   the heavier case.
///
/// The benchmark flushes every 1020 spans so no span is dropped for a full queue; it fails
/// unless every span was exported. bench/otel_python_spans.py makes the same spans with the
/// OpenTelemetry Python SDK.
struct SpanCostBenchmark {
  /// The spans of one request.
  enum Shape: String {
    case router
    case uniform12

    /// Attributes set per span on average (a request's attributes over its five spans).
    var attributesPerSpan: Double {
      switch self {
      case .router: 7
      case .uniform12: 12
      }
    }
  }

  /// Spans per `forceFlush`: half the queue, so producing never outruns it, and whole requests
  /// (204) that make one full batch and one of 508, so no flush exports a batch of a few spans.
  static let flushEvery = 1020
  /// Spans per request, in both shapes.
  static let spansPerRequest = 5

  let endpoint: String
  let spans: Int
  let rounds: Int
  let shape: Shape

  init(arguments: BenchmarkArguments) throws(BenchmarkArguments.Failure) {
    endpoint = try arguments.string("endpoint")
    spans = try arguments.int("spans", default: 200_000)
    rounds = try arguments.int("rounds", default: 3)
    let shapeName = arguments.values("shape").first ?? Shape.router.rawValue
    guard let shape = Shape(rawValue: shapeName) else {
      throw BenchmarkArguments.Failure("--shape wants router or uniform12, got '\(shapeName)'")
    }
    self.shape = shape
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
      "shape": shape.rawValue, "attributes_per_span": shape.attributesPerSpan,
    ]
    try ResultLine.write(result)
  }

  /// Makes at least `count` spans (whole requests of five), waits until all are exported and
  /// returns how many it made.
  private func emit(_ count: Int, tracer: Tracer, pipeline: TracingPipeline) throws -> Int {
    var made = 0
    while made < count {
      switch shape {
      case .router: Self.emitRouterRequest(tracer)
      case .uniform12: emitUniformRequest(tracer)
      }
      made += Self.spansPerRequest
      if made % Self.flushEvery < Self.spansPerRequest || made >= count {
        guard pipeline.forceFlush(timeout: .seconds(10)) else {
          throw BenchmarkArguments.Failure("a flush of the span pipeline timed out")
        }
      }
    }
    return made
  }

  /// The five spans of a routed request as TracingRequestObserver records them, in the same
  /// order of starts, attributes and ends.
  static func emitRouterRequest(_ tracer: Tracer) {
    let root = tracer.startSpan("semantic_router.request.received", kind: .server, parent: nil)
    root.setAttribute("http.request.method", "POST")
    root.setAttribute("url.path", "/v1/chat/completions")
    root.setAttribute("gen_ai.operation.name", "chat")
    root.setAttribute("gen_ai.provider.name", "vllm")
    root.setAttribute("semantic_router.api", "chat_completions")
    root.setAttribute("semantic_router.config.generation", 1)
    root.setAttribute("semantic_router.config.digest", "cc6e2b38d09cbb33")

    let classification = tracer.startSpan("semantic_router.classification", parent: root.context)
    classification.setAttribute("category.name", "math")
    classification.setAttribute("classifier.type", "statistical")
    classification.setAttribute("classification.confidence", 0.87)
    classification.end()
    root.setAttribute("category.name", "math")

    let cacheLookup = tracer.startSpan("semantic_router.cache.lookup", parent: root.context)
    cacheLookup.setAttribute("cache.hit", false)
    cacheLookup.end()
    root.setAttribute("cache.hit", false)

    let routing = tracer.startSpan("semantic_router.routing.decision", parent: root.context)
    routing.setAttribute("routing.original_model", "auto")
    routing.setAttribute("routing.selected_model", "llama-3.1-70b")
    routing.setAttribute("routing.reason", "category_model")
    routing.setAttribute("endpoint.name", "model-a-1")
    routing.setAttribute("endpoint.address", "http://127.0.0.1:8101")
    routing.end()
    root.setAttribute("gen_ai.request.model", "auto")
    root.setAttribute("routing.selected_model", "llama-3.1-70b")

    let upstream = tracer.startSpan(
      "semantic_router.upstream.request", kind: .client, parent: root.context)
    upstream.setAttribute("gen_ai.operation.name", "chat")
    upstream.setAttribute("gen_ai.provider.name", "vllm")
    upstream.setAttribute("gen_ai.request.model", "llama-3.1-70b")
    upstream.setAttribute("semantic_router.api", "chat_completions")
    upstream.setAttribute("semantic_router.api.translated", false)
    upstream.setAttribute("endpoint.name", "model-a-1")
    upstream.setAttribute("endpoint.address", "http://127.0.0.1:8101")
    root.setAttribute("http.response.status_code", 200)
    upstream.setAttribute("http.response.status_code", 200)
    for span in [upstream, root] {
      span.setAttribute("gen_ai.response.model", "llama-3.1-70b")
      span.setAttribute("gen_ai.usage.input_tokens", 42)
      span.setAttribute("gen_ai.usage.output_tokens", 128)
    }
    upstream.end()
    root.end()
  }

  /// A SERVER root and four INTERNAL children, each with the same 12 attributes.
  private func emitUniformRequest(_ tracer: Tracer) {
    let root = tracer.startSpan("semantic_router.request.received", kind: .server, parent: nil)
    setUniformAttributes(root)
    for name in Self.childNames {
      let child = tracer.startSpan(name, kind: .internal, parent: root.context)
      setUniformAttributes(child)
      child.end()
    }
    root.end()
  }

  private static let childNames = [
    "semantic_router.classification", "semantic_router.cache.lookup",
    "semantic_router.routing.decision", "semantic_router.upstream.request",
  ]

  /// The 12 attributes of the `uniform12` shape, on every span.
  private func setUniformAttributes(_ span: Span) {
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
