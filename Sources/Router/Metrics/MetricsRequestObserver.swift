public import ExtProc

/// Counts one routed request into `RouterMetrics`: the classification time as it happens, and
/// the request itself, labelled with its category, model and outcome, when its stream ends.
public final class MetricsRequestObserver: RequestObserver {
  private let metrics: RouterMetrics
  private var classificationStart = ContinuousClock.now
  private var guardsStart = ContinuousClock.now
  private var category = "none"
  private var model = "none"
  private var outcome: String?
  private var responseStatus: Int?
  private var responseHasFinished = false

  init(metrics: RouterMetrics) {
    self.metrics = metrics
  }

  public func guardsStarted() {
    guardsStart = ContinuousClock.now
  }

  public func guardsFinished(_ record: GuardRecord) {
    metrics.guards.duration.observe(ContinuousClock.now - guardsStart)
    metrics.guards.count(record)
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

  public func responseFinished(_ summary: OpenAIResponseSummary) {
    responseHasFinished = true
  }

  public func streamEnded(_ end: ProcessorStreamEnd) {
    let outcome =
      self.outcome ?? Self.outcome(end, status: responseStatus, finished: responseHasFinished)
    metrics.requests.labels(category, model, outcome).increment()
  }

  /// The outcome of a request the backend was asked to answer, the way its trace tells it
  /// (`TracingRequestObserver.streamEnded`): a 5xx is an upstream error whether or not it ended;
  /// an end before the response did is a client disconnect (no response headers yet), an
  /// incomplete response (after them) or a cancelled stream.
  static func outcome(_ end: ProcessorStreamEnd, status: Int?, finished: Bool) -> String {
    if let status, status >= 500 { return "upstream_error" }
    if finished { return "ok" }
    return switch end {
    case .completed: status == nil ? "client_disconnected" : "response_incomplete"
    case .cancelled, .deadlineExceeded, .connectionClosed, .failed: "cancelled"
    }
  }
}
