import ExtProc
import Foundation
import Logging
import Router
import Tracing

/// The router's CPU cost per request without the network: each request is one ext_proc stream
/// driven through the same handler `serve` registers (`ExtProcService.handlerFactory` over
/// `SemanticRouterProcessor`), fed the wire bytes Envoy sends: request headers, the BUFFERED
/// request body, response headers and the BUFFERED response body, then the end of the stream.
/// That covers protobuf decoding, the stream state machine, OpenAI parsing, classification,
/// routing, the semantic-cache lookup and store, the body rewrite and response encoding.
///
/// The cache is the config's, kept full: requests cycle through more distinct bodies than it
/// holds, so every lookup scans a full cache and misses, and every response is stored (evicting
/// the least recently used entry), which is what a miss costs in steady state. An untimed pass
/// first checks that every request is routed and none is a cache hit.
///
/// With `--tracing-endpoint`, each round is followed by a traced one over the next bodies:
/// the same handler with the tracing observer `serve` adds (always_on, a new trace per request,
/// OTLP/gRPC to that receiver), flushed before the round's CPU time is read, so the export
/// thread's work is in it; the requests' own thread's CPU is read too (the part on the request
/// path). Every span must reach the exporter.
struct RouterCostBenchmark {
  let configPath: String
  let wordFiles: [String]
  let sizes: [Int]
  /// Timed requests for a 2 KB body; larger bodies get proportionally fewer.
  let requests: Int
  let rounds: Int
  /// The OTLP/gRPC receiver of the traced rounds; nil: no traced rounds.
  let tracingEndpoint: String?

  init(arguments: BenchmarkArguments) throws(BenchmarkArguments.Failure) {
    configPath = try arguments.string("config")
    wordFiles = arguments.values("words")
    guard !wordFiles.isEmpty else { throw BenchmarkArguments.Failure("--words is required") }
    sizes = try arguments.ints("sizes", default: [2048, 32768])
    requests = try arguments.int("requests", default: 40_000)
    rounds = try arguments.int("rounds", default: 3)
    tracingEndpoint = arguments.values("tracing-endpoint").first
  }

  func run() throws {
    let configuration = try RouterConfiguration.load(path: configPath)
    let bodies = try RequestBodies(files: wordFiles)
    let logger = Logger(label: "semantic-router")
    let pipeline = try tracingEndpoint.map { endpoint in
      try TracingPipeline(
        configuration: TracingConfiguration(
          enabled: true, exporter: .init(type: .otlp, endpoint: endpoint, insecure: true),
          sampling: .init(type: .alwaysOn)))
    }
    var tracedRequests = 0
    for size in sizes {
      // A fresh router (and cache) per size.
      let router = SemanticRouter(configuration: configuration)
      let capacity = router.cache?.settings.maxEntries ?? 0
      let distinct = max(capacity + capacity / 5, 64)
      let exchanges = EnvoyExchanges(bodies: try bodies.make(count: distinct, size: size, seed: 42))

      // Untimed: two passes over every body with a tally, then the same with the real
      // factory as warm-up; the cache is full from here on.
      let tally = RoutingTally()
      let checked = SemanticRouterProcessor.factory(router: router, logger: logger) { _ in tally }
      let checkOutcome = try exchanges.run(2 * distinct, factory: checked, startingAt: 0)
      guard tally.routed == 2 * distinct, tally.cacheHits == 0, tally.immediateResponses == 0,
        checkOutcome.immediateResponses == 0
      else {
        throw BenchmarkArguments.Failure(
          "\(size)-byte bodies: routed \(tally.routed) of \(2 * distinct), cache hits "
            + "\(tally.cacheHits), immediate answers \(tally.immediateResponses)")
      }
      let factory = SemanticRouterProcessor.factory(router: router, logger: logger)
      let traced = pipeline.map { pipeline in
        let tracing = RouterTracing(pipeline: pipeline)
        return SemanticRouterProcessor.factory(router: router, logger: logger) {
          tracing.makeObserver($0)
        }
      }
      let measured = max(requests * 2048 / size, 2 * distinct)
      var next = try exchanges.run(distinct, factory: factory, startingAt: 0).next
      if let traced {
        next = try exchanges.run(distinct, factory: traced, startingAt: next).next
        tracedRequests += distinct
      }

      /// CPU per request of one round through `factory`, the process's and the requests' own
      /// thread's; flushes the spans before reading them when traced.
      func round(
        _ factory: @escaping ProcessorFactory, flush: TracingPipeline?
      ) throws -> (process: Double, thread: Double) {
        let start = CPUTime.now()
        let threadStart = CPUTime.onThisThread()
        let outcome = try exchanges.run(measured, factory: factory, startingAt: next)
        let thread = CPUTime.onThisThread().since(threadStart) / Double(measured)
        if let flush, !flush.forceFlush(timeout: .seconds(30)) {
          throw BenchmarkArguments.Failure("the span pipeline did not flush in time")
        }
        let process = CPUTime.now().since(start) / Double(measured)
        next = outcome.next
        guard outcome.immediateResponses == 0 else {
          throw BenchmarkArguments.Failure("\(size)-byte bodies: a request was answered at once")
        }
        return (process, thread)
      }
      var perRequest: [Double] = []
      var tracedPerRequest: [Double] = []
      var tracedOnThread: [Double] = []
      for _ in 0..<rounds {
        perRequest.append(try round(factory, flush: nil).process)
        if let traced {
          let cost = try round(traced, flush: pipeline)
          tracedPerRequest.append(cost.process)
          tracedOnThread.append(cost.thread)
          tracedRequests += measured
        }
      }
      let median = perRequest.sorted()[perRequest.count / 2]
      // On a separate router, so the stage figures do not disturb the cache measured above.
      let stageCosts = RouterStageCosts(
        router: SemanticRouter(configuration: configuration), bodies: exchanges.bodies)
      let stages = try stageCosts.measure(measured)
      let classification = try stageCosts.classificationLatency()
      var result: [String: Any] = [
        "benchmark": "router", "body_bytes": size, "requests": measured, "rounds": rounds,
        "cpu_us_per_request": median, "cpu_us_per_kib": median / (Double(size) / 1024),
        "round_cpu_us_per_request": perRequest, "distinct_bodies": distinct,
        "cache_entries": router.cache?.count ?? 0, "cache_capacity": capacity,
        "check_routed": tally.routed, "check_cache_hits": tally.cacheHits,
        "categories": tally.categories, "stage_cpu_us_per_request": stages,
        "classify_p50_us": classification.p50, "classify_p99_us": classification.p99,
      ]
      if !tracedPerRequest.isEmpty {
        result["traced_cpu_us_per_request"] = tracedPerRequest.sorted()[tracedPerRequest.count / 2]
        result["traced_thread_cpu_us_per_request"] =
          tracedOnThread.sorted()[tracedOnThread.count / 2]
        result["round_traced_cpu_us_per_request"] = tracedPerRequest
      }
      try ResultLine.write(result)
    }
    if let pipeline {
      let figures = pipeline.metrics.snapshot()
      guard pipeline.shutdown(timeout: .seconds(10)) else {
        throw BenchmarkArguments.Failure("the span pipeline did not shut down in time")
      }
      // The guard span comes on top when the config has guards.
      let spansPerRequest =
        SpanCostBenchmark.spansPerRequest + (configuration.guards == nil ? 0 : 1)
      let expected = UInt64(tracedRequests * spansPerRequest)
      guard figures.spansExported == expected, figures.spansDroppedQueueFull == 0 else {
        throw BenchmarkArguments.Failure(
          "traced rounds: exported \(figures.spansExported) of \(expected) spans, dropped "
            + "\(figures.spansDroppedQueueFull)")
      }
    }
  }
}
