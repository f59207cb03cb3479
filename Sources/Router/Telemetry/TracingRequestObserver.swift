import ExtProc
import Tracing

/// Records the spans of one routed request and names the upstream span in the request sent on.
///
/// One observer per ext_proc stream, confined to the stream's loop thread like its processor.
/// Spans (see the README's "Tracing" section):
///
/// - `semantic_router.request.received` (SERVER): from the request headers to the end of the
///   response (or the router's own answer);
/// - under it, siblings with real start and end times: `apply_guardrail semantic-router` (the
///   request guards, when configured; see `GuardSpanAttributes`), `semantic_router.classification`,
///   `semantic_router.cache.lookup`, `semantic_router.routing.decision` and
///   `semantic_router.upstream.request` (CLIENT: from routing to the end of the response; not
///   created when the router answers itself).
///
/// The parent is the `traceparent` in the ext_proc stream's own gRPC metadata (Envoy's ext_proc
/// egress span when Envoy tracing is on), else the one in the forwarded HTTP request headers,
/// else none (a new trace). `routed` returns `traceparent` (naming the upstream span, sampled
/// flag kept), `tracestate` and `baggage` for the upstream request.
///
/// An unsampled request records nothing: only the root and upstream span contexts are made
/// (ids for propagation), no attribute or time is kept. A 5xx answer is an error on the root and
/// upstream spans, a 4xx on the upstream span only. When the stream ends before the response
/// did, every open span ends with an error status and an `error.type` saying why, so nothing is
/// left open and no cut-short exchange reads as a success.
public final class TracingRequestObserver: RequestObserver {
  /// The root span's name.
  public static let requestSpanName = "semantic_router.request.received"
  public static let classificationSpanName = "semantic_router.classification"
  public static let cacheLookupSpanName = "semantic_router.cache.lookup"
  public static let routingSpanName = "semantic_router.routing.decision"
  public static let upstreamSpanName = "semantic_router.upstream.request"
  /// The API of the request (root span) or of the upstream request (upstream span):
  /// `chat_completions`, `completions`, `responses` or `messages`.
  public static let apiAttribute = "semantic_router.api"
  /// On the upstream span: the request was translated to chat completions for its backend.
  public static let translatedAttribute = "semantic_router.api.translated"
  /// On the upstream span: the limit (`sse_event`, `translated_answer`) at which the router
  /// stopped reading the answer, so usage and the end of the stream are unknown.
  public static let responseLimitAttribute = "semantic_router.response.limit_exceeded"
  /// The request guards' span, named as OpenTelemetry's GenAI security conventions name a
  /// guardian's evaluation: `apply_guardrail {gen_ai.guardian.name}`.
  public static let guardSpanName = "apply_guardrail semantic-router"
  /// The event added to the upstream span when the first token of a streamed response passes.
  public static let firstTokenEventName = "gen_ai.first_token"

  private let tracer: Tracer
  private let providerName: String
  private let streamMetadata: HTTPHeaders
  private let configuration: ConfigurationIdentity?

  private var root: Span?
  private var guards: Span?
  private var classification: Span?
  private var cacheLookup: Span?
  private var routing: Span?
  /// When the routing decision was made (the cache lookup, if any, starts right after).
  private var routingEndTime: UInt64?
  private var upstream: Span?
  private var baggage = Baggage()
  /// The client sent `tracestate`: the upstream request must get ours in its place, even empty.
  private var replacesTracestate = false
  private var rootStartTime: UInt64 = 0
  /// `gen_ai.operation.name`, by path: `text_completion` for `/v1/completions`, else `chat`
  /// (chat completions, Responses and Messages are all chat operations in the GenAI
  /// conventions' list of well-known names).
  private var operationName = "chat"
  /// The response's `:status` once its headers arrived: an early end then cut it short.
  private var responseStatus: Int?
  /// The root span's ids, kept after it ends for the request's last log lines.
  public private(set) var logCorrelation: LogCorrelation?

  /// - Parameters:
  ///   - tracer: where spans start (sampling included).
  ///   - streamMetadata: the ext_proc stream's gRPC request metadata (`ProcessorContext`).
  ///   - providerName: `gen_ai.provider.name` of the backends.
  ///   - configuration: the config the stream routes with, named on the root span.
  public init(
    tracer: Tracer, streamMetadata: HTTPHeaders, providerName: String,
    configuration: ConfigurationIdentity? = nil
  ) {
    self.tracer = tracer
    self.streamMetadata = streamMetadata
    self.providerName = providerName
    self.configuration = configuration
  }

  // MARK: - RequestObserver

  public func requestStarted(method: String, path: String, headers: HTTPHeaders) {
    let (parent, baggage) = Self.parentContext(metadata: streamMetadata, headers: headers)
    self.baggage = baggage
    replacesTracestate = headers.contains(TraceContextPropagator.tracestateHeader)
    rootStartTime = tracer.now()
    let root = tracer.startSpan(
      Self.requestSpanName, kind: .server, parent: parent, startTime: rootStartTime)
    self.root = root
    logCorrelation = LogCorrelation(
      traceID: root.context.traceID.hexString, spanID: root.context.spanID.hexString)
    guard root.isRecording else { return }
    // Cut at the query by bytes: walking the path by Characters costs grapheme breaking.
    let urlPath = path.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(path[..<$0]) } ?? path
    operationName = urlPath == "/v1/completions" ? "text_completion" : "chat"
    root.setAttribute("http.request.method", method)
    root.setAttribute("url.path", urlPath)
    root.setAttribute("gen_ai.operation.name", operationName)
    root.setAttribute("gen_ai.provider.name", providerName)
    if let api = OpenAIRequest.Endpoint(path: urlPath) {
      root.setAttribute(Self.apiAttribute, api.rawValue)
    }
    if let configuration {
      root.setAttribute("semantic_router.config.generation", configuration.generation)
      root.setAttribute("semantic_router.config.digest", configuration.digest)
    }
  }

  public func guardsStarted() {
    guards = startChild(Self.guardSpanName)
  }

  public func guardsFinished(_ record: GuardRecord) {
    guard let span = guards else { return }
    guards = nil
    GuardSpanAttributes.record(record, on: span)
    span.end()
  }

  public func classificationStarted() {
    classification = startChild(Self.classificationSpanName)
  }

  public func classificationFinished(_ result: Classification) {
    guard let span = classification else { return }
    classification = nil
    ClassificationSpanAttributes.record(result, on: span)
    span.end()
    root?.setAttribute("category.name", result.category)
  }

  public func cacheLookupStarted() {
    if routing != nil, routingEndTime == nil { routingEndTime = tracer.now() }
    cacheLookup = startChild(Self.cacheLookupSpanName)
  }

  public func cacheLookupFinished(hit: Bool) {
    root?.setAttribute("cache.hit", hit)
    guard let span = cacheLookup else { return }
    cacheLookup = nil
    span.setAttribute("cache.hit", hit)
    span.end()
  }

  public func routingStarted() {
    routing = startChild(Self.routingSpanName)
  }

  public func routed(_ record: RoutingRecord) -> [(name: String, value: String)] {
    endRouting(record, error: nil)
    guard let root else { return [] }
    let model = record.selectedModel ?? record.originalModel
    root.setAttribute("gen_ai.request.model", record.originalModel)
    if let selected = record.selectedModel { root.setAttribute("routing.selected_model", selected) }
    let upstream = tracer.startSpan(Self.upstreamSpanName, kind: .client, parent: root.context)
    self.upstream = upstream
    if upstream.isRecording {
      upstream.setAttribute("gen_ai.operation.name", operationName)
      upstream.setAttribute("gen_ai.provider.name", providerName)
      upstream.setAttribute("gen_ai.request.model", model)
      upstream.setAttribute(Self.apiAttribute, record.translated ? "chat_completions" : record.api)
      upstream.setAttribute(Self.translatedAttribute, record.translated)
      if let name = record.endpointName { upstream.setAttribute("endpoint.name", name) }
      if let address = record.endpointAddress {
        upstream.setAttribute("endpoint.address", address)
      }
    }
    var headers = TraceContextPropagator.inject(upstream.context, baggage: baggage)
    if replacesTracestate, upstream.context.traceState.isEmpty {
      // The header mutation can only set headers: an empty list stands for "no tracestate"
      // where the client's would otherwise reach the backend (e.g. after an invalid
      // traceparent, W3C Trace Context §3.3.1.1).
      headers.append((TraceContextPropagator.tracestateHeader, ""))
    }
    return headers
  }

  public func immediateResponse(status: Int, reason: String, record: RoutingRecord?) {
    let error: String? = status >= 400 ? reason : nil
    if let record {
      endRouting(record, error: error)
      root?.setAttribute("gen_ai.request.model", record.originalModel)
      if let selected = record.selectedModel {
        root?.setAttribute("routing.selected_model", selected)
      }
    }
    guard let root else { return }
    root.setAttribute("http.response.status_code", status)
    if let error {
      root.setAttribute("error.type", error)
      root.setStatus(.error(message: error))
    }
    endAll(failure: nil)
  }

  public func responseStarted(status: Int) {
    responseStatus = status
    root?.setAttribute("http.response.status_code", status)
    upstream?.setAttribute("http.response.status_code", status)
    // HTTP semantic conventions: a CLIENT span fails on 4xx and 5xx, a SERVER span on 5xx.
    if status >= 400 {
      upstream?.setAttribute("error.type", String(status))
      upstream?.setStatus(.error(message: "HTTP \(status)"))
    }
    if status >= 500 {
      root?.setAttribute("error.type", String(status))
      root?.setStatus(.error(message: "HTTP \(status)"))
    }
  }

  public func firstToken() {
    guard let upstream, upstream.isRecording else { return }
    let now = tracer.now()
    let seconds = Double(now &- rootStartTime) / 1e9
    upstream.addEvent(
      Self.firstTokenEventName,
      attributes: [SpanAttribute("gen_ai.server.time_to_first_token", .double(seconds))], at: now)
  }

  public func responseLimitExceeded(_ limit: ResponseLimit) {
    upstream?.setAttribute(Self.responseLimitAttribute, limit.rawValue)
  }

  public func responseFinished(_ summary: OpenAIResponseSummary) {
    for span in [upstream, root] {
      guard let span, span.isRecording else { continue }
      if let model = summary.model { span.setAttribute("gen_ai.response.model", model) }
      if let tokens = summary.promptTokens {
        span.setAttribute("gen_ai.usage.input_tokens", tokens)
      }
      if let tokens = summary.completionTokens {
        span.setAttribute("gen_ai.usage.output_tokens", tokens)
      }
    }
    endAll(failure: nil)
  }

  public func streamEnded(_ end: ProcessorStreamEnd) {
    // A 5xx already failed the root and upstream spans: it stays what the trace says (as in
    // `semantic_router_requests_total`), however the stream ends.
    if let responseStatus, responseStatus >= 500 {
      endAll(failure: nil)
      return
    }
    let failure: (type: String, message: String)? =
      switch end {
      // Envoy half-closes the stream when the exchange ends early. Before the response headers
      // only the client can have gone (Envoy answers a backend reset or timeout itself, and
      // that answer passes here as a response); after them, a client that went away and a
      // backend that reset mid-body look the same to ext_proc.
      case .completed where responseStatus != nil:
        ("response_incomplete", "ext_proc stream ended before the response finished")
      case .completed:
        ("client_disconnected", "ext_proc stream ended before the response: client went away")
      case .cancelled: ("cancelled", "ext_proc stream cancelled by Envoy")
      case .deadlineExceeded: ("deadline_exceeded", "ext_proc stream deadline exceeded")
      case .connectionClosed: ("connection_closed", "connection to Envoy closed")
      case .failed(let message): ("stream_failed", "ext_proc stream failed: \(message)")
      }
    endAll(failure: failure)
  }

  // MARK: - Parent context

  /// The parent for the root span and the baggage to pass on: the stream metadata's
  /// `traceparent` when valid, else the HTTP request's, else none. Baggage comes from the HTTP
  /// request. Envoy sends an empty `tracestate` beside its own `traceparent`; when its span
  /// continues the client's trace, the client's `tracestate` is kept.
  static func parentContext(
    metadata: HTTPHeaders, headers: HTTPHeaders
  ) -> (parent: SpanContext?, baggage: Baggage) {
    let forwarded = TraceContextPropagator.extract(
      traceparent: headers.values(for: TraceContextPropagator.traceparentHeader),
      tracestate: headers.values(for: TraceContextPropagator.tracestateHeader),
      baggage: headers.values(for: TraceContextPropagator.baggageHeader))
    let metadataTraceparent = metadata.values(for: TraceContextPropagator.traceparentHeader)
    guard !metadataTraceparent.isEmpty else { return (forwarded.parent, forwarded.baggage) }
    let stream = TraceContextPropagator.extract(
      traceparent: metadataTraceparent,
      tracestate: metadata.values(for: TraceContextPropagator.tracestateHeader))
    guard var parent = stream.parent else { return (forwarded.parent, forwarded.baggage) }
    if parent.traceState.isEmpty, let client = forwarded.parent, client.traceID == parent.traceID {
      parent.traceState = client.traceState
    }
    return (parent, forwarded.baggage)
  }

  // MARK: - Helpers

  /// A child of the root, only when the root records (unsampled requests make no children but
  /// the upstream span, which carries the context on).
  private func startChild(_ name: String) -> Span? {
    guard let root, root.isRecording else { return nil }
    return tracer.startSpan(name, parent: root.context)
  }

  private func endRouting(_ record: RoutingRecord, error: String?) {
    guard let span = routing else { return }
    routing = nil
    span.setAttribute("routing.original_model", record.originalModel)
    if let selected = record.selectedModel { span.setAttribute("routing.selected_model", selected) }
    span.setAttribute("routing.reason", record.reason)
    if let name = record.endpointName { span.setAttribute("endpoint.name", name) }
    if let address = record.endpointAddress { span.setAttribute("endpoint.address", address) }
    if let error { span.setStatus(.error(message: error)) }
    span.end(at: routingEndTime)
  }

  /// Ends every open span, children first, with an error status (and `error.type`) when
  /// `failure` is given.
  private func endAll(failure: (type: String, message: String)?) {
    let open = [guards, classification, cacheLookup, routing, upstream, root]
    guards = nil
    classification = nil
    cacheLookup = nil
    routing = nil
    upstream = nil
    root = nil
    let now = tracer.now()
    for case let span? in open where span.isRecording {
      if let failure {
        span.setAttribute("error.type", failure.type)
        span.setStatus(.error(message: failure.message))
      }
      span.end(at: now)
    }
  }
}
