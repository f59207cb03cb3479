import ExtProc

/// The cache phase: looks a routed request up in the semantic cache (when it is on) and turns
/// a hit into the client's answer, as JSON or as an event stream when the client asked for one.
enum CachePhase {
  /// Looks `routed` up under its cache key, which it notes in `routed` for storing the answer
  /// later. Nil: no usable cached answer, so the request goes upstream.
  static func run(
    _ routed: inout RoutedRequest, route: RoutingDecision.Route, cache: SemanticCache,
    router: SemanticRouter, observer: (any RequestObserver)?
  ) -> ImmediateResponse? {
    let key = router.cacheKey(model: route.model, request: routed.request)
    routed.cacheKey = key
    observer?.cacheLookupStarted()
    let hit = cache.lookup(key: key, vector: routed.classification.vector)
    observer?.cacheLookupFinished(hit: hit != nil)
    guard let hit else { return nil }
    return answer(
      hit, api: routed.request.endpoint, stream: routed.request.stream,
      category: routed.classification.category, model: route.model)
  }

  /// Looks `routed` up in the loop's shared cache and answers later: the cached answer on a
  /// hit (after calling `hit`), else what `forward` makes of the request for upstream.
  static func runShared(
    _ routed: inout RoutedRequest, route: RoutingDecision.Route, store: any SharedCacheStore,
    router: SemanticRouter, observer: (any RequestObserver)?,
    forward: @escaping (RoutedRequest) -> CommonResponse, hit: @escaping () -> Void
  ) -> BodyDecision {
    let key = router.cacheKey(model: route.model, request: routed.request)
    routed.cacheKey = key
    observer?.cacheLookupStarted()
    let later = LaterBodyDecision()
    let request = routed
    store.lookup(
      key: key, vector: routed.classification.vector, settings: router.configuration.semanticCache
    ) { cached in
      observer?.cacheLookupFinished(hit: cached != nil)
      if let cached,
        let answer = answer(
          cached, api: request.request.endpoint, stream: request.request.stream,
          category: request.classification.category, model: route.model)
      {
        hit()
        later.resolve(.immediate(answer))
      } else {
        later.resolve(.respond(forward(request)))
      }
    }
    return .later(later)
  }

  /// The cached answer as an immediate 200, in SSE form when the client asked for a stream
  /// (the client API's event stream); nil when a stream was asked for and the cached answer
  /// cannot be turned into one. Answers are cached in their client's API (the cache key names
  /// it), so a hit is replayed in the shape it was stored in.
  static func answer(
    _ cached: CachedResponse, api: OpenAIRequest.Endpoint = .chatCompletions, stream: Bool,
    category: String, model: String
  ) -> ImmediateResponse? {
    var body = cached.body
    var contentType = cached.contentType
    if stream {
      guard let events = eventStream(cached.body, api: api) else { return nil }
      body = events
      contentType = "text/event-stream"
    }
    var headers = HeaderMutation()
    headers.set("content-type", contentType)
    headers.set(SemanticRouterProcessor.cacheHitHeader, "true")
    headers.set(SemanticRouterProcessor.categoryHeader, category)
    headers.set(SemanticRouterProcessor.modelHeader, model)
    return ImmediateResponse(
      status: 200, headers: headers, body: body, details: "semantic_cache_hit")
  }

  /// A whole stored answer as its API's event stream.
  private static func eventStream(_ body: [UInt8], api: OpenAIRequest.Endpoint) -> [UInt8]? {
    switch api {
    case .chatCompletions, .completions:
      return OpenAIStreamEncoder.eventStream(fromCompletion: body)
    case .responses, .messages:
      guard let value = JSONValue.parse(body),
        let answer = api == .responses
          ? ResponsesAPIEncoder.answer(from: value) : MessagesAPIEncoder.answer(from: value)
      else { return nil }
      return APIEventWriter.events(api: api, answer: answer)
    }
  }
}
