import ExtProc

/// The cache phase: looks a routed request up in the semantic cache (when it is on) and turns
/// a hit into the client's answer, as JSON or as an event stream when the client asked for one;
/// on the way back, stores a successful answer (JSON, or a stream assembled into JSON).
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

  /// Stores `answer`, a successful JSON answer to `routed` in its client's API, in the cache
  /// it was looked up in: the process's, else the loop's shared one.
  static func store(
    _ answer: [UInt8], for routed: RoutedRequest, router: SemanticRouter,
    shared: (any SharedCacheStore)?
  ) {
    guard let key = routed.cacheKey else { return }
    let response = CachedResponse(body: answer, contentType: "application/json")
    if let cache = router.cache {
      cache.store(key: key, vector: routed.classification.vector, response: response)
    } else if let shared {
      shared.store(
        key: key, vector: routed.classification.vector, response: response,
        settings: router.configuration.semanticCache)
    }
  }

  /// An assembler for the event stream answering `routed` when it may be stored: a 200 to a
  /// chat or text completion that was looked up in a cache, streamed in the client's own API
  /// (a translated stream is another API's events). Nil otherwise.
  static func streamAssembler(
    for routed: RoutedRequest, status: Int, router: SemanticRouter, cachesShared: Bool
  ) -> StreamedCompletionAssembler? {
    guard status == 200, routed.cacheKey != nil, !routed.translated,
      routed.request.endpoint == .chatCompletions || routed.request.endpoint == .completions,
      router.cache != nil || cachesShared
    else { return nil }
    return StreamedCompletionAssembler(
      maxContentBytes: router.configuration.semanticCache.maxAnswerBytes,
      maxEventBytes: router.configuration.maxSSEEventBytes)
  }

  /// Stores the assembled answer of a finished stream; one past `max_answer_bytes` is counted
  /// as not stored for its size.
  static func storeStreamed(
    _ assembler: StreamedCompletionAssembler, for routed: RoutedRequest,
    router: SemanticRouter, shared: (any SharedCacheStore)?
  ) {
    if assembler.overflowed { router.cache?.countNotStoredTooLarge() }
    guard let answer = assembler.completion() else { return }
    store(answer, for: routed, router: router, shared: shared)
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
