public import ExtProc

/// Counts one routed request into `RouterMetrics`: the classification time as it happens, and
/// the request itself, labelled with its category, model, outcome and API, when its stream
/// ends; for a request a backend answered, the GenAI conventions' duration, time to first
/// token, time per output token and token usage too.
public final class MetricsRequestObserver: RequestObserver {
  private let metrics: RouterMetrics
  private var requestStart: ContinuousClock.Instant
  private var classificationStart: ContinuousClock.Instant
  private var firstTokenTime: ContinuousClock.Instant?
  private var responseEndTime: ContinuousClock.Instant?
  private var guardsStart: ContinuousClock.Instant
  private var category = "none"
  private var model = "none"
  private var api = "none"
  private var operationName = "chat"
  private var outcome: String?
  private var responseStatus: Int?
  private var responseSummary: OpenAIResponseSummary?
  private var wentUpstream = false

  init(metrics: RouterMetrics) {
    self.metrics = metrics
    requestStart = metrics.now()
    classificationStart = requestStart
    guardsStart = requestStart
  }

  public func requestStarted(method: String, path: String, headers: HTTPHeaders) {
    requestStart = metrics.now()
    let urlPath = path.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(path[..<$0]) } ?? path
    api = OpenAIRequest.Endpoint(path: urlPath)?.rawValue ?? "none"
    operationName = GenAIMetrics.operationName(path: urlPath)
  }

  public func guardsStarted() {
    guardsStart = metrics.now()
  }

  public func guardsFinished(_ record: GuardRecord) {
    metrics.guards.duration.observe(metrics.now() - guardsStart)
    metrics.guards.count(record)
  }

  public func classificationStarted() {
    classificationStart = metrics.now()
  }

  public func classificationFinished(_ classification: Classification) {
    metrics.classificationDuration.observe(metrics.now() - classificationStart)
    if let run = classification.modelRun { metrics.classifier.count(run) }
    category = classification.category
  }

  public func cacheLookupFinished(hit: Bool) {
    (hit ? metrics.cacheHits : metrics.cacheMisses).increment()
  }

  public func routed(_ record: RoutingRecord) -> [(name: String, value: String)] {
    model = record.selectedModel ?? record.originalModel
    wentUpstream = true
    return []
  }

  public func immediateResponse(status: Int, reason: String, record: RoutingRecord?) {
    if let record { model = record.selectedModel ?? record.originalModel }
    outcome = status < 400 ? "cache_hit" : "rejected"
  }

  public func responseStarted(status: Int) {
    responseStatus = status
  }

  public func firstToken() {
    if firstTokenTime == nil { firstTokenTime = metrics.now() }
  }

  public func responseLimitExceeded(_ limit: ResponseLimit) {
    metrics.responseLimitExceeded.labels([limit.rawValue]).increment()
  }

  public func responseFinished(_ summary: OpenAIResponseSummary) {
    responseSummary = summary
    responseEndTime = metrics.now()
  }

  public func streamEnded(_ end: ProcessorStreamEnd) {
    let outcome =
      self.outcome
      ?? Self.outcome(end, status: responseStatus, finished: responseSummary != nil)
    metrics.requests.labels(category, model, outcome, api).increment()
    if wentUpstream && self.outcome == nil { countGenAI(outcome: outcome) }
  }

  /// The GenAI conventions' figures of a request a backend answered (or failed to).
  private func countGenAI(outcome: String) {
    let genAI = metrics.genAI
    let labels = [operationName, genAI.providerName, model, category]
    let end = responseEndTime ?? metrics.now()
    let succeeded = outcome == "ok" && (responseStatus ?? 0) < 400
    genAI.requestDuration.labels(labels + [Self.errorType(outcome, status: responseStatus)])
      .observe(end - requestStart)
    if let summary = responseSummary {
      if let tokens = summary.promptTokens {
        genAI.tokenUsage.labels(labels + ["input"]).observe(Double(tokens))
      }
      if let tokens = summary.completionTokens {
        genAI.tokenUsage.labels(labels + ["output"]).observe(Double(tokens))
      }
    }
    guard succeeded, let firstTokenTime else { return }
    genAI.timeToFirstToken.labels(labels).observe(firstTokenTime - requestStart)
    if let tokens = responseSummary?.completionTokens, tokens > 1 {
      genAI.timePerOutputToken.labels(labels).observe((end - firstTokenTime) / (tokens - 1))
    }
  }

  /// `error_type` of the request duration: empty on success, the HTTP status of a 4xx or 5xx
  /// answer, else how the stream ended (`client_disconnected`, `response_incomplete`,
  /// `cancelled`).
  static func errorType(_ outcome: String, status: Int?) -> String {
    if let status, status >= 400 { return String(status) }
    return outcome == "ok" ? "" : outcome
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
