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
      hit, stream: routed.request.stream, category: routed.classification.category,
      model: route.model)
  }

  /// The cached answer as an immediate 200, in SSE form when the client asked for a stream;
  /// nil when a stream was asked for and the cached completion cannot be turned into one.
  static func answer(
    _ cached: CachedResponse, stream: Bool, category: String, model: String
  ) -> ImmediateResponse? {
    var body = cached.body
    var contentType = cached.contentType
    if stream {
      guard let events = OpenAIStreamEncoder.eventStream(fromCompletion: cached.body) else {
        return nil
      }
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
}
