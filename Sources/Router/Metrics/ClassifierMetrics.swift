public import Metrics

/// The embedding classifier's figures on `/metrics`: inference latency, the inference queue's
/// depth, what the model did per query (run, vector-cache hit, skipped, overloaded, missing)
/// and whether it loaded (`modelLoaded`).
public struct ClassifierMetrics: Sendable {
  /// Time the model ran for one query on an inference thread (queue wait excluded).
  let inferenceDuration: Histogram
  /// Queries waiting for an inference thread.
  public let queueDepth: Gauge
  let modelRuns: CounterFamily

  public init(registry: MetricsRegistry) {
    inferenceDuration = registry.histogram(
      "semantic_router_classifier_inference_seconds",
      help: "Time the embedding model ran for one query on an inference thread (queue wait "
        + "excluded).",
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1])
    queueDepth = registry.gauge(
      "semantic_router_classifier_queue_depth",
      help: "Queries waiting for an inference thread (at most classifier.queue_capacity).")
    modelRuns = registry.counter(
      "semantic_router_classifier_model_runs_total",
      help: "Queries by what the embedding model did: inferred, vector_cache_hit (an identical "
        + "query's vector was reused), skipped (the lexical tier was sure and no cache vector "
        + "was needed), overloaded (queue full: on_overload applied), model_missing.",
      labelNames: ["outcome"])
  }

  /// `semantic_router_classifier_model_loaded`, read from the router in force at each scrape
  /// (a reload may load or lose the model).
  public static func modelLoaded(_ router: SemanticRouter) -> MetricFamilySnapshot {
    .gauge(
      "semantic_router_classifier_model_loaded",
      help: "1 when classifier.type is embedding and the model loaded, else 0.",
      value: router.embeddingClassifier == nil ? 0 : 1)
  }

  /// Counts what the model did for one classified query, and how long it ran.
  func count(_ run: ModelRun) {
    modelRuns.labels(run.outcome.rawValue).increment()
    if let milliseconds = run.inferenceMilliseconds {
      inferenceDuration.observe(milliseconds / 1000)
    }
  }
}
