import ExtProc

/// The routing facts of one request, for span attributes and metrics.
public struct RoutingRecord: Sendable, Equatable {
  /// `category.name`.
  public var category: String
  /// `classification.confidence`.
  public var confidence: Double
  /// `classifier.type`: `keyword`, `statistical` or `fallback`.
  public var classifierType: String
  /// `routing.original_model`: the model the request named.
  public var originalModel: String
  /// `routing.selected_model`: nil when the request was rejected or passed through.
  public var selectedModel: String?
  /// `routing.reason`.
  public var reason: String
  /// `endpoint.name` and `endpoint.address`, when routed.
  public var endpointName: String?
  public var endpointAddress: String?
  /// The client asked for a stream.
  public var stream: Bool
  /// The request's API (`semantic_router.api`): `chat_completions`, `completions`,
  /// `responses` or `messages`.
  public var api: String
  /// The request was translated to chat completions for a backend without its API.
  public var translated: Bool

  public init(
    category: String, confidence: Double, classifierType: String, originalModel: String,
    selectedModel: String?, reason: String, endpointName: String?, endpointAddress: String?,
    stream: Bool, api: String = OpenAIRequest.Endpoint.chatCompletions.rawValue,
    translated: Bool = false
  ) {
    self.api = api
    self.translated = translated
    self.category = category
    self.confidence = confidence
    self.classifierType = classifierType
    self.originalModel = originalModel
    self.selectedModel = selectedModel
    self.reason = reason
    self.endpointName = endpointName
    self.endpointAddress = endpointAddress
    self.stream = stream
  }
}

/// Hooks through which tracing and metrics follow one routed request (POST
/// `/v1/chat/completions`, `/v1/completions`, `/v1/responses` or `/v1/messages`); the router
/// calls them in order on the stream's loop thread, and an observer reads its own clock at each
/// call. `…Started`/`…Finished` pairs
/// bracket the classification, cache lookup and routing work, so their spans get real times.
///
/// Every method has an empty default. Requests on other paths are not observed.
public protocol RequestObserver: AnyObject {
  /// The request headers of a routed request arrived (`:method`, `:path`, `traceparent`...).
  func requestStarted(method: String, path: String, headers: HTTPHeaders)
  /// The request guards start (after parsing; for "auto" with per-model policies, after the
  /// classification that names the routed model).
  func guardsStarted()
  /// The request guards decided; `record` has the types and scores found, never the values.
  func guardsFinished(_ record: GuardRecord)
  func classificationStarted()
  func classificationFinished(_ classification: Classification)
  func cacheLookupStarted()
  func cacheLookupFinished(hit: Bool)
  func routingStarted()
  /// Routing decided. The returned headers are set on the upstream request along with the
  /// routing headers (e.g. a `traceparent` naming the upstream span). Not called for a cache
  /// hit or a rejected request.
  func routed(_ record: RoutingRecord) -> [(name: String, value: String)]
  /// The router answered the client itself: a cache hit (200) or an error (400, 404, 413).
  /// `record` is nil when the request failed before classification.
  func immediateResponse(status: Int, reason: String, record: RoutingRecord?)
  /// The backend's response headers arrived.
  func responseStarted(status: Int)
  /// The first generated token of a streamed response passed through.
  func firstToken()
  /// The response body ended; `summary` has the response model and token usage, if found.
  func responseFinished(_ summary: OpenAIResponseSummary)
  /// The answer passed a bound on what the router keeps of it: the router stopped reading it
  /// (and translating it); at most once per request.
  func responseLimitExceeded(_ limit: ResponseLimit)
  /// The ext_proc stream ended (last call), normally or not.
  func streamEnded(_ end: ProcessorStreamEnd)
  /// The trace and span that log lines about this request name (`trace_id`, `span_id`), once
  /// `requestStarted` made them; nil when the observer traces nothing.
  var logCorrelation: LogCorrelation? { get }
}

/// The OpenTelemetry log-correlation fields of a request's log lines: its router span's ids in
/// lower-case hex.
public struct LogCorrelation: Sendable, Equatable {
  /// 32 hex digits.
  public var traceID: String
  /// 16 hex digits.
  public var spanID: String

  public init(traceID: String, spanID: String) {
    self.traceID = traceID
    self.spanID = spanID
  }
}

extension RequestObserver {
  public func requestStarted(method: String, path: String, headers: HTTPHeaders) {}
  public func guardsStarted() {}
  public func guardsFinished(_ record: GuardRecord) {}
  public func classificationStarted() {}
  public func classificationFinished(_ classification: Classification) {}
  public func cacheLookupStarted() {}
  public func cacheLookupFinished(hit: Bool) {}
  public func routingStarted() {}
  public func routed(_ record: RoutingRecord) -> [(name: String, value: String)] { [] }
  public func immediateResponse(status: Int, reason: String, record: RoutingRecord?) {}
  public func responseStarted(status: Int) {}
  public func firstToken() {}
  public func responseFinished(_ summary: OpenAIResponseSummary) {}
  public func responseLimitExceeded(_ limit: ResponseLimit) {}
  public func streamEnded(_ end: ProcessorStreamEnd) {}
  public var logCorrelation: LogCorrelation? { nil }
}
