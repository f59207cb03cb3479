public import Metrics

/// The router's figures on `/metrics`: requests by category, model and outcome, classification
/// latency, and semantic-cache hits and misses. Registered once; shared by every stream.
public struct RouterMetrics: Sendable {
  let requests: CounterFamily
  let classificationDuration: Histogram
  let cacheHits: Counter
  let cacheMisses: Counter

  public init(registry: MetricsRegistry) {
    requests = registry.counter(
      "semantic_router_requests",
      help: "Routed requests by category, selected model and outcome "
        + "(ok, cache_hit, rejected, upstream_error, cancelled).",
      labelNames: ["category", "model", "outcome"])
    classificationDuration = registry.histogram(
      "semantic_router_classification_duration_seconds",
      help: "Time to classify one query (keyword rules and the statistical classifier).",
      buckets: [0.000_001, 0.000_005, 0.00001, 0.000_025, 0.00005, 0.0001, 0.0005, 0.001, 0.01])
    cacheHits = registry.counter(
      "semantic_router_cache_hits", help: "Semantic-cache lookups answered from the cache.")
    cacheMisses = registry.counter(
      "semantic_router_cache_misses", help: "Semantic-cache lookups that found no answer.")
  }

  /// An observer for one stream.
  public func makeObserver() -> MetricsRequestObserver {
    MetricsRequestObserver(metrics: self)
  }
}
