public import ExtProc

/// Counts one routed request into `RouterMetrics`: the classification time as it happens, and
/// the request itself, labelled with its category, model and outcome, when its stream ends.
public final class MetricsRequestObserver: RequestObserver {
  private let metrics: RouterMetrics
  private var classificationStart = ContinuousClock.now
  private var category = "none"
  private var model = "none"
  private var outcome: String?
  private var responseStatus: Int?

  init(metrics: RouterMetrics) {
    self.metrics = metrics
  }

  public func classificationStarted() {
    classificationStart = ContinuousClock.now
  }

  public func classificationFinished(_ classification: Classification) {
    metrics.classificationDuration.observe(ContinuousClock.now - classificationStart)
    category = classification.category
  }

  public func cacheLookupFinished(hit: Bool) {
    (hit ? metrics.cacheHits : metrics.cacheMisses).increment()
  }

  public func routed(_ record: RoutingRecord) -> [(name: String, value: String)] {
    model = record.selectedModel ?? record.originalModel
    return []
  }

  public func immediateResponse(status: Int, reason: String, record: RoutingRecord?) {
    if let record { model = record.selectedModel ?? record.originalModel }
    outcome = status < 400 ? "cache_hit" : "rejected"
  }

  public func responseStarted(status: Int) {
    responseStatus = status
  }

  public func streamEnded(_ end: ProcessorStreamEnd) {
    let outcome =
      self.outcome
      ?? {
        switch (end, responseStatus) {
        case (_, let status?) where status >= 500: "upstream_error"
        case (.completed, _), (.cancelled, _?): "ok"
        default: "cancelled"
        }
      }()
    metrics.requests.labels(category, model, outcome).increment()
  }
}
