import ExtProc
import Logging

/// The semantic router on one ext_proc stream (one HTTP exchange): routes OpenAI requests by
/// their content and passes everything else through.
///
/// - Request headers: `GET /v1/models` and `GET /v1/models/{id}` are answered from the
///   configuration (`ModelListPhase`); `POST /v1/chat/completions`, `/v1/completions`,
///   `/v1/responses` and `/v1/messages` are routed; for every other request Envoy is told to
///   skip the rest of the exchange.
/// - Request body (BUFFERED): parsed and classified once by the request phases
///   (`RequestParsePhase` → `GuardPhase` → `ClassifyPhase` → `RoutePhase` → `CachePhase` →
///   `AnswerPhase`, over one `RoutedRequest`); the routing headers are set with
///   `clear_route_cache`, and for "auto" the body's `model` is rewritten (with `content-length`).
///   A semantic-cache hit is answered at once; bad input gets an OpenAI-style 400/404/413.
/// - Response: `x-vsr-selected-category` and `x-vsr-selected-model` are added;
///   `text/event-stream` bodies switch to STREAMED and pass unchanged while the first token and
///   usage are noted (a successful chat or text completion stream is also assembled and
///   stored in the cache); JSON bodies are read for usage and stored in the cache when
///   successful.
///   A request translated to chat completions (its backend lacks `/v1/responses` or
///   `/v1/messages`) gets its answer, events and errors translated back
///   (`ChatResponseTranslator`).
///
/// Confined to the stream's loop thread, like every `Processor`.
public final class SemanticRouterProcessor: Processor {
  /// Response header naming the category.
  public static let categoryHeader = "x-vsr-selected-category"
  /// Response header naming the model that answered.
  public static let modelHeader = "x-vsr-selected-model"
  /// Response header marking an answer served from the semantic cache.
  public static let cacheHitHeader = "x-vsr-cache-hit"

  private let router: SemanticRouter
  private let observer: (any RequestObserver)?
  /// Names the request's trace and span (`trace_id`, `span_id`) once it is observed.
  private var logger: Logger
  private let sharedCache: SharedCacheProvider?
  /// Runs the embedding model off this stream's loop (nil: on the calling thread).
  private let inference: InferenceRunner?

  private var path = ""
  private var endpoint: OpenAIRequest.Endpoint?
  /// What the request phases found; nil until the body was parsed.
  private var routed: RoutedRequest?
  private var responseStatus = 0
  private var responseIsEventStream = false
  private var responseIsJSON = false
  private var streamObserver: OpenAIStreamObserver?
  /// Assembles a streamed answer for the cache; nil when it will not be stored.
  private var streamedAnswer: StreamedCompletionAssembler?
  /// Turns a translated request's chat-completions answer back into the client's API.
  private var translator: ChatResponseTranslator?
  /// The stream ended (a body decision given later must not route after it).
  private var ended = false
  /// The answer passed a `ResponseLimit` and the observer was told (once).
  private var responseLimitReported = false

  /// A processor for one stream; `observer` follows the request for tracing and metrics;
  /// `sharedCache` finds the loop's shared cache when the backend is `redis`; `inference`
  /// runs the embedding model off the loop (`classifier.type: embedding`).
  public init(
    router: SemanticRouter, observer: (any RequestObserver)? = nil, logger: Logger,
    sharedCache: SharedCacheProvider? = nil, inference: InferenceRunner? = nil
  ) {
    self.router = router
    self.observer = observer
    self.logger = logger
    self.sharedCache = sharedCache
    self.inference = inference
  }

  /// A factory for `ExtProcService`: one processor per stream, each with the observer
  /// `makeObserver` returns for the stream (nil: not observed).
  public static func factory(
    router: SemanticRouter, logger: Logger,
    makeObserver: @escaping @Sendable (ProcessorContext) -> (any RequestObserver)? = { _ in nil }
  ) -> ProcessorFactory {
    { context in
      SemanticRouterProcessor(router: router, observer: makeObserver(context), logger: logger)
    }
  }

  // MARK: - Request

  public func processRequestHeaders(_ message: HTTPHeadersMessage) -> HeadersDecision {
    let headers = message.headers
    let method = headers[":method"] ?? ""
    let fullPath = headers[":path"] ?? ""
    path = String(fullPath.prefix { $0 != "?" })
    if method == "GET", let answer = ModelListPhase.run(path: path, router: router) {
      return .immediate(answer)
    }
    if method == "POST" { endpoint = OpenAIRequest.Endpoint(path: path) }
    guard endpoint != nil else {
      // Not ours: have Envoy skip the rest of this exchange.
      let skipAll = ProcessingMode(
        requestHeaderMode: .default, responseHeaderMode: .skip, requestBodyMode: .none,
        responseBodyMode: .none, requestTrailerMode: .skip, responseTrailerMode: .skip)
      return .respond(CommonResponse(), modeOverride: skipAll)
    }
    observer?.requestStarted(method: method, path: fullPath, headers: headers)
    if let correlation = observer?.logCorrelation {
      logger[metadataKey: "trace_id"] = "\(correlation.traceID)"
      logger[metadataKey: "span_id"] = "\(correlation.spanID)"
    }
    if message.endOfStream {
      return .immediate(reject(400, .invalidJSON(offset: 0, reason: "empty body")))
    }
    if let length = headers["content-length"].flatMap(Int.init),
      length > router.configuration.maxBodyBytes
    {
      return .immediate(tooLarge(length))
    }
    return .passThrough
  }

  /// Runs the request phases over the body: parse → classify → route → cache → answer. Each
  /// phase may end the exchange with an answer of its own (a 400, 404 or 413, or a cache hit).
  /// The request guards (PII, jailbreak; `GuardPhase`) run between parse and classify, so a
  /// blocked request costs no classification and never reaches the cache.
  public func processRequestBody(
    _ body: HTTPBody, mode: ProcessingMode.BodySendMode?
  ) -> BodyDecision {
    guard let endpoint, routed == nil else { return .passThrough }
    var request: OpenAIRequest
    switch RequestParsePhase.run(
      body, mode: mode, endpoint: endpoint, maxBodyBytes: router.configuration.maxBodyBytes)
    {
    case .parsed(let parsed):
      request = parsed
    case .streamedBody:
      logger.warning(
        "request body arrives STREAMED; routing needs request_body_mode BUFFERED",
        metadata: ["path": "\(path)"])
      return .passThrough
    case .tooLarge(let size):
      return .immediate(tooLarge(size))
    case .invalid(let error):
      return .immediate(reject(400, error))
    }

    var guarded: GuardPhase.Outcome?
    if let guards = router.guards {
      let outcome = GuardPhase.run(
        request, body: body.bytes, guards: guards, router: router, observer: observer)
      if let block = outcome.block {
        return .immediate(refuse(code: block.code, message: block.message))
      }
      request = outcome.request
      guarded = outcome
    }

    var lexicalTier: PendingModelClassification?
    switch guarded?.classification {
    case .decided(let classification)?:
      return route(request, classification: classification, body: body, guarded: guarded)
    case .needsModel(let pending)?:
      lexicalTier = pending
    case nil:
      break
    }
    return ClassifyPhase.run(
      request, lexicalTier: lexicalTier, router: router, inference: inference, observer: observer,
      overloaded: classifierOverloaded, ended: { [weak self] in self?.ended ?? true }
    ) { [self] classification in
      route(request, classification: classification, body: body, guarded: guarded)
    }
  }

  /// The phases after classification: route → cache → answer.
  private func route(
    _ request: OpenAIRequest, classification: Classification, body: HTTPBody,
    guarded: GuardPhase.Outcome?
  ) -> BodyDecision {
    var routed = RoutedRequest(request: request, classification: classification)
    // The response side reads what the phases found, whichever way this returns.
    defer { self.routed = routed }

    let (decision, record) = RoutePhase.run(&routed, router: router, observer: observer)
    switch decision {
    case .modelNotFound(let model):
      logger.info(
        "rejected request for unknown model", metadata: ["model": "\(model)", "path": "\(path)"])
      observer?.immediateResponse(status: 404, reason: "model_not_found", record: record)
      return .immediate(
        errorResponse(
          404, OpenAIErrorBody.modelNotFoundMessage(model), code: "model_not_found"))
    case .passThrough:
      _ = observer?.routed(record)
      guard let guarded else { return .passThrough }
      var response = CommonResponse()
      Self.applyGuards(guarded, to: &response)
      return .respond(response)
    case .route(let route):
      if routed.translated, let lost = request.untranslatable {
        logger.info(
          "refused a request its backend cannot take untranslated",
          metadata: ["path": "\(path)", "model": "\(route.model)", "feature": "\(lost)"])
        observer?.immediateResponse(status: 400, reason: "translation_unsupported", record: record)
        return .immediate(
          errorResponse(
            400,
            "The backend of model '\(route.model)' does not serve \(path), and a translation "
              + "to chat completions cannot carry \(lost). Remove it, or route the request "
              + "to a backend that serves \(path).",
            code: "translation_unsupported"))
      }
      if let cache = router.cache,
        let answer = CachePhase.run(
          &routed, route: route, cache: cache, router: router, observer: observer)
      {
        observer?.immediateResponse(status: 200, reason: "cache_hit", record: record)
        return .immediate(answer)
      }
      // The guards' redacted body (and flag header), whichever way the request goes upstream.
      let forwardedBody = guarded?.body ?? body.bytes
      let forward = { [observer] (routed: RoutedRequest) -> CommonResponse in
        var response = AnswerPhase.run(
          routed, route: route, record: record, body: forwardedBody,
          headers: self.router.configuration.routingHeaders, observer: observer)
        if let guarded { Self.applyGuards(guarded, to: &response) }
        return response
      }
      if let shared = sharedStore() {
        return CachePhase.runShared(
          &routed, route: route, store: shared, router: router, observer: observer,
          forward: forward
        ) { [observer] in
          observer?.immediateResponse(status: 200, reason: "cache_hit", record: record)
        }
      }
      return .respond(forward(routed))
    }
  }

  // MARK: - Response

  public func processResponseHeaders(_ message: HTTPHeadersMessage) -> HeadersDecision {
    guard endpoint != nil else { return .passThrough }
    responseStatus = message.headers[":status"].flatMap(Int.init) ?? 0
    observer?.responseStarted(status: responseStatus)
    if message.endOfStream { observer?.responseFinished(OpenAIResponseSummary()) }
    // Not routed (the body never came BUFFERED): the observer still follows the response.
    guard let routed else { return .passThrough }
    let contentType = (message.headers["content-type"] ?? "").lowercased()
    responseIsEventStream = contentType.hasPrefix("text/event-stream")
    responseIsJSON = contentType.hasPrefix("application/json")

    var response = CommonResponse()
    response.headerMutation.set(Self.categoryHeader, routed.classification.category)
    let model = routed.route?.model ?? routed.request.model
    response.headerMutation.set(Self.modelHeader, model)
    if message.endOfStream { return .respond(response) }
    if routed.translated {
      translator = ChatResponseTranslator(
        api: routed.request.endpoint, model: model,
        maxEventBytes: router.configuration.maxSSEEventBytes,
        maxAnswerBytes: router.configuration.maxTranslatedAnswerBytes)
      // Whatever the backend answered (an error page too) becomes the client API's JSON.
      if !responseIsEventStream { response.headerMutation.set("content-type", "application/json") }
    }
    if responseIsEventStream {
      streamObserver = OpenAIStreamObserver(
        api: routed.backendAPI, maxEventBytes: router.configuration.maxSSEEventBytes)
      streamedAnswer = CachePhase.streamAssembler(
        for: routed, status: responseStatus, router: router, cachesShared: sharedStore() != nil)
      // Tokens must reach the client as they come: pass SSE chunks through one by one.
      return .respond(response, modeOverride: ProcessingMode(responseBodyMode: .streamed))
    }
    return .respond(response)
  }

  public func processResponseBody(
    _ body: HTTPBody, mode: ProcessingMode.BodySendMode?
  ) -> BodyDecision {
    guard endpoint != nil else { return .passThrough }
    guard routed != nil else {
      if body.endOfStream { observer?.responseFinished(OpenAIResponseSummary()) }
      return .passThrough
    }
    if var stream = streamObserver {
      if stream.observe(body.bytes) { observer?.firstToken() }
      streamObserver = stream
      var limit = stream.limitExceeded ? ResponseLimit.sseEvent : nil
      var events: [UInt8]?
      if var translator {
        events = translator.translate(chunk: body.bytes, endOfStream: body.endOfStream)
        self.translator = translator
        limit = translator.limitExceeded ?? limit
      }
      // Before the response ends: the observers end their spans there.
      if let limit, !responseLimitReported {
        responseLimitReported = true
        observer?.responseLimitExceeded(limit)
      }
      if body.endOfStream { observer?.responseFinished(stream.summary) }
      streamedAnswer?.feed(body.bytes)
      if body.endOfStream, let streamedAnswer, let routed {
        CachePhase.storeStreamed(
          streamedAnswer, for: routed, router: router, shared: sharedStore())
      }
      guard let events else { return .passThrough }
      return .respond(CommonResponse(bodyMutation: events.isEmpty ? .clear : .replace(events)))
    }
    // BUFFERED: the whole response.
    guard let routed else { return .passThrough }
    let summary =
      responseIsJSON ? OpenAIResponseSummary.parse(body.bytes, api: routed.backendAPI) : nil
    observer?.responseFinished(summary ?? OpenAIResponseSummary())
    var answer = body.bytes
    var response = CommonResponse()
    if let translator {
      answer = translator.translate(status: responseStatus, body: body.bytes)
      response.replaceBody(with: answer)
    }
    if responseStatus == 200, let summary, summary.hasGeneratedContent, !routed.request.stream {
      CachePhase.store(answer, for: routed, router: router, shared: sharedStore())
    }
    return .respond(response)
  }

  public func streamEnded(_ end: ProcessorStreamEnd) {
    ended = true
    guard endpoint != nil else { return }
    observer?.streamEnded(end)
  }

  // MARK: - Helpers

  /// Adds the guard phase's upstream headers to `response`, and its redacted body when the
  /// answer does not carry a rewritten body already.
  private static func applyGuards(_ guarded: GuardPhase.Outcome, to response: inout CommonResponse)
  {
    for (name, value) in guarded.upstreamHeaders { response.headerMutation.set(name, value) }
    if guarded.bodyRewritten, case .none = response.bodyMutation {
      response.replaceBody(with: guarded.body)
    }
  }

  /// The 400 for a request a guard blocked (`pii_detected`, `jailbreak_detected`).
  private func refuse(code: String, message: String) -> ImmediateResponse {
    logger.info("request blocked by a guard", metadata: ["path": "\(path)", "code": "\(code)"])
    observer?.immediateResponse(status: 400, reason: code, record: nil)
    return errorResponse(400, message, code: code)
  }

  /// The 503 for a query the embedding model could not take (`on_overload: reject`).
  private func classifierOverloaded() -> ImmediateResponse {
    logger.warning(
      "classifier overloaded, request refused",
      metadata: ["path": "\(path)", "queue_capacity": "\(router.configuration.classifier.queueCapacity)"])
    observer?.immediateResponse(status: 503, reason: "classifier_overloaded", record: nil)
    return errorResponse(
      503,
      "The router's classifier is overloaded: every inference thread is busy and its queue "
        + "is full. Retry shortly.",
      code: "classifier_overloaded", type: "server_error")
  }

  /// The loop's shared cache when this stream's snapshot caches in Redis.
  private func sharedStore() -> (any SharedCacheStore)? {
    let settings = router.configuration.semanticCache
    guard settings.enabled, settings.backend == .redis else { return nil }
    return sharedCache?()
  }

  private func reject(_ status: Int, _ error: OpenAIRequestError) -> ImmediateResponse {
    logger.info(
      "rejected invalid request", metadata: ["path": "\(path)", "error": "\(error.description)"])
    observer?.immediateResponse(status: status, reason: error.code, record: nil)
    return errorResponse(status, error.description, code: error.code)
  }

  private func tooLarge(_ size: Int) -> ImmediateResponse {
    let limit = router.configuration.maxBodyBytes
    logger.info(
      "rejected oversized request body",
      metadata: ["path": "\(path)", "bytes": "\(size)", "limit": "\(limit)"])
    observer?.immediateResponse(status: 413, reason: "request_too_large", record: nil)
    return errorResponse(
      413, OpenAIErrorBody.bodyTooLargeMessage(size: size, limit: limit),
      code: "request_too_large")
  }

  /// An error answer in the shape of the request's API: Anthropic's for the Messages API,
  /// OpenAI's (`invalid_request_error` with `code`) for the others.
  private func errorResponse(
    _ status: Int, _ message: String, code: String, type: String = "invalid_request_error"
  ) -> ImmediateResponse {
    var headers = HeaderMutation()
    headers.set("content-type", "application/json")
    let body =
      endpoint == .messages
      ? AnthropicErrorBody.make(status: status, message: message)
      : OpenAIErrorBody.make(message: message, type: type, code: code)
    return ImmediateResponse(status: status, headers: headers, body: body, details: code)
  }
}
