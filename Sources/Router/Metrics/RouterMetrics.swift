public import Metrics

/// The router's figures on `/metrics`: requests by category, model and outcome, classification
/// latency, semantic-cache hits and misses, and (when the cache is on) what the cache holds and
/// what its limits evicted or did not store; and the GenAI conventions' metrics
/// (`GenAIMetrics`). Registered once; shared by every stream.
public struct RouterMetrics: Sendable {
  let requests: CounterFamily
  let classificationDuration: Histogram
  let cacheHits: Counter
  let cacheMisses: Counter
  let responseLimitExceeded: CounterFamily
  let genAI: GenAIMetrics
  /// Where observers read the time (a test's manual clock, else the continuous clock).
  let now: @Sendable () -> ContinuousClock.Instant
  let guards: GuardMetrics
  /// The embedding classifier's figures (the inference pool records into them too).
  public let classifier: ClassifierMetrics

  /// Registers the metrics in `registry`; `cache`'s figures are read on each scrape.
  public init(registry: MetricsRegistry, cache: SemanticCache? = nil) {
    self.init(registry: registry, currentCache: { cache })
  }

  /// Registers the metrics in `registry`; on each scrape, the figures of the cache
  /// `currentCache` returns then (a reload may replace it), if any. `providerName` is the
  /// GenAI metrics' `gen_ai_provider_name`.
  public init(
    registry: MetricsRegistry, providerName: String = RouterTracing.defaultProviderName,
    now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
    currentCache: @escaping @Sendable () -> SemanticCache?
  ) {
    self.now = now
    requests = registry.counter(
      "semantic_router_requests",
      help: "Routed requests by category, selected model, outcome (ok, cache_hit, "
        + "rejected, upstream_error, client_disconnected, response_incomplete, cancelled) and "
        + "API (chat_completions, completions, responses, messages).",
      labelNames: ["category", "model", "outcome", "api"])
    classificationDuration = registry.histogram(
      "semantic_router_classification_duration_seconds",
      help: "Time to classify one query (keyword rules, the statistical classifier and, with "
        + "the embedding classifier, the wait for the model).",
      // Microseconds for the lexical tier, milliseconds to a second when the model runs.
      buckets: [
        0.000_001, 0.000_005, 0.00001, 0.000_025, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01,
        0.025, 0.05, 0.1, 0.25, 0.5, 1,
      ])
    cacheHits = registry.counter(
      "semantic_router_cache_hits", help: "Semantic-cache lookups answered from the cache.")
    cacheMisses = registry.counter(
      "semantic_router_cache_misses", help: "Semantic-cache lookups that found no answer.")
    responseLimitExceeded = registry.counter(
      "semantic_router_response_limit_exceeded",
      help: "Answers the router stopped reading (and translating) at a limit: sse_event "
        + "(max_sse_event_bytes), translated_answer (max_translated_answer_bytes).",
      labelNames: ["limit"])
    for limit in ResponseLimit.allCases { _ = responseLimitExceeded.labels([limit.rawValue]) }
    registry.registerCollector { currentCache().map { Self.cacheFamilies($0.statistics) } ?? [] }
    genAI = GenAIMetrics(registry: registry, providerName: providerName)
    guards = GuardMetrics(registry: registry)
    classifier = ClassifierMetrics(registry: registry)
  }

  /// The semantic cache's size and limit figures.
  static func cacheFamilies(_ statistics: SemanticCacheStatistics) -> [MetricFamilySnapshot] {
    func reason(_ value: String, _ count: UInt64) -> LabelledSample<Double> {
      LabelledSample(labels: [MetricLabel("reason", value)], value: Double(count))
    }
    return [
      .gauge(
        "semantic_router_cache_entries", help: "Entries the semantic cache holds.",
        value: Double(statistics.entries)),
      .gauge(
        "semantic_router_cache_bytes",
        help: "Bytes the semantic cache's entries are counted as against max_bytes "
          + "(answer, key and a fixed per-entry overhead).",
        value: Double(statistics.bytes)),
      MetricFamilySnapshot(
        name: "semantic_router_cache_evictions_total",
        help: "Least recently used entries evicted to stay within max_bytes or max_entries.",
        series: .counter([
          reason("bytes", statistics.evictionsForBytes),
          reason("entries", statistics.evictionsForEntries),
        ])),
      MetricFamilySnapshot(
        name: "semantic_router_cache_not_stored_total",
        help: "Answers not stored in the semantic cache: larger than max_answer_bytes.",
        series: .counter([reason("too_large", statistics.notStoredTooLarge)])),
    ]
  }

  /// An observer for one stream.
  public func makeObserver() -> MetricsRequestObserver {
    MetricsRequestObserver(metrics: self)
  }
}
