import ExtProc
import Testing

@testable import Router

/// Each request phase on its own, without a processor: parse, classify, route, cache, answer.
@Suite struct RequestPhasesTests {
  private let router = SemanticRouter(configuration: RouterFixtures.twoModels)

  private static func chat(_ model: String, _ question: String, stream: Bool = false) -> [UInt8] {
    Array(
      #"{"model":"\#(model)","messages":[{"role":"user","content":"\#(question)"}],"stream":\#(stream)}"#
    )
  }

  private func parsed(_ model: String, _ question: String, stream: Bool = false) throws
    -> OpenAIRequest
  {
    try OpenAIRequest.parse(Self.chat(model, question, stream: stream), endpoint: .chatCompletions)
  }

  private func header(_ mutation: HeaderMutation, _ name: String) -> String? {
    mutation.setHeaders.first { $0.name == name }?.value
  }

  // MARK: - Parse

  @Test func parse_acceptsABufferedRequest_andReportsEachWayToFail() throws {
    let bytes = Self.chat("auto", "hi")
    func run(_ body: HTTPBody, _ mode: ProcessingMode.BodySendMode?, limit: Int = 2000)
      -> RequestParsePhase.Outcome
    {
      RequestParsePhase.run(body, mode: mode, endpoint: .chatCompletions, maxBodyBytes: limit)
    }
    let whole = HTTPBody(bytes: bytes, endOfStream: true)
    #expect(run(whole, .buffered) == .parsed(try parsed("auto", "hi")))
    #expect(run(whole, nil) == .parsed(try parsed("auto", "hi")))
    #expect(run(whole, .streamed) == .streamedBody)
    #expect(run(whole, .fullDuplexStreamed) == .streamedBody)
    #expect(run(whole, .buffered, limit: bytes.count - 1) == .tooLarge(size: bytes.count))
    #expect(run(whole, .buffered, limit: bytes.count) == .parsed(try parsed("auto", "hi")))
    // BUFFERED_PARTIAL without end of stream: Envoy cut the body at its buffer limit.
    let cut = HTTPBody(bytes: bytes, endOfStream: false)
    #expect(run(cut, .bufferedPartial) == .tooLarge(size: bytes.count))
    guard case .invalid(let error) = run(HTTPBody(bytes: Array("{nope"), endOfStream: true), nil)
    else {
      Issue.record("expected invalid JSON")
      return
    }
    #expect(error.code == "invalid_json")
  }

  // MARK: - Classify

  @Test func classify_findsTheCategory_betweenTheObserversCalls() throws {
    let observer = RecordingObserver()
    var found: Classification?
    let decision = ClassifyPhase.run(
      try parsed("auto", "solve the equation 2x = 4"), router: router, inference: nil,
      observer: observer, overloaded: { ImmediateResponse(status: 503) }
    ) { classification in
      found = classification
      return .passThrough
    }
    #expect(decision == .passThrough)
    let classification = try #require(found)
    #expect(classification.category == "math")
    #expect(observer.events == ["classify", "classified math"])
  }

  // MARK: - Route

  @Test func route_choosesByCategoryForAuto_andRecordsTheFacts() throws {
    let request = try parsed("auto", "solve the equation 2x = 4", stream: true)
    let classification = router.classify(request)
    var routed = RoutedRequest(request: request, classification: classification)
    let observer = RecordingObserver()
    let (decision, record) = RoutePhase.run(&routed, router: router, observer: observer)
    guard case .route(let route) = decision else {
      Issue.record("expected a route, got \(decision)")
      return
    }
    #expect(route.model == "math-model")
    #expect(routed.route == route)
    #expect(observer.events == ["route"])
    #expect(
      record
        == RoutingRecord(
          category: "math", confidence: classification.confidence,
          classifierType: classification.method.rawValue, originalModel: "auto",
          selectedModel: "math-model", reason: "category_model", endpointName: "m1",
          endpointAddress: "http://127.0.0.1:8101", stream: true))
  }

  @Test func route_leavesNoRoute_forAnUnknownModel() throws {
    let request = try parsed("gpt-9", "hi")
    var routed = RoutedRequest(
      request: request, classification: router.classify(request))
    let (decision, record) = RoutePhase.run(&routed, router: router, observer: nil)
    #expect(decision == .modelNotFound(model: "gpt-9"))
    #expect(routed.route == nil)
    #expect(record.selectedModel == nil)
    #expect(record.endpointName == nil)
    #expect(record.reason == "unknown_model_rejected")
  }

  // MARK: - Cache

  @Test func cache_missesThenHits_andNotesTheKey() throws {
    let cache = try #require(router.cache)
    let request = try parsed("auto", "solve the equation 2x = 4")
    var routed = RoutedRequest(
      request: request, classification: router.classify(request))
    guard case .route(let route) = RoutePhase.run(&routed, router: router, observer: nil).decision
    else {
      Issue.record("expected a route")
      return
    }
    let observer = RecordingObserver()
    let miss = CachePhase.run(
      &routed, route: route, cache: cache, router: router, observer: observer)
    #expect(miss == nil)
    let key = try #require(routed.cacheKey)
    #expect(key == router.cacheKey(model: "math-model", request: request))
    #expect(observer.events == ["cache", "cache miss"])

    let completion = Array(
      #"{"id":"x","object":"chat.completion","created":1,"model":"math-model","choices":[{"index":0,"message":{"role":"assistant","content":"x = 2"},"finish_reason":"stop"}]}"#
    )
    cache.store(
      key: key, vector: routed.classification.vector,
      response: CachedResponse(body: completion, contentType: "application/json"))
    let hit = try #require(
      CachePhase.run(&routed, route: route, cache: cache, router: router, observer: observer))
    #expect(hit.status == 200)
    #expect(hit.body == completion)
    #expect(header(hit.headers, "content-type") == "application/json")
    #expect(header(hit.headers, "x-vsr-cache-hit") == "true")
    #expect(header(hit.headers, "x-vsr-selected-category") == "math")
    #expect(header(hit.headers, "x-vsr-selected-model") == "math-model")
    #expect(observer.events.suffix(2) == ["cache", "cache hit"])
  }

  @Test func cache_answersAStreamRequest_asEventsOrNotAtAll() {
    let cached = CachedResponse(
      body: Array(
        #"{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}"#
      ),
      contentType: "application/json")
    let events = CachePhase.answer(cached, stream: true, category: "general", model: "m")
    #expect(events.map { header($0.headers, "content-type") } == "text/event-stream")
    #expect(events.map { String(bytes: $0.body).hasSuffix("data: [DONE]\n\n") } == true)
    let unusable = CachedResponse(body: Array("not json"), contentType: "application/json")
    #expect(CachePhase.answer(unusable, stream: true, category: "general", model: "m") == nil)
  }

  // MARK: - Answer

  @Test func answer_setsRoutingAndObserverHeaders_andRewritesAuto() throws {
    let body = Self.chat("auto", "tell me a joke")
    let request = try OpenAIRequest.parse(body, endpoint: .chatCompletions)
    var routed = RoutedRequest(
      request: request, classification: router.classify(request))
    let (decision, record) = RoutePhase.run(&routed, router: router, observer: nil)
    guard case .route(let route) = decision else {
      Issue.record("expected a route")
      return
    }
    let observer = RecordingObserver()
    let answer = AnswerPhase.run(
      routed, route: route, record: record, body: body,
      headers: router.configuration.routingHeaders, observer: observer)
    #expect(answer.clearRouteCache)
    #expect(header(answer.headerMutation, "x-selected-model") == "chat-model")
    #expect(header(answer.headerMutation, "x-selected-cluster") == "vsr_c1")
    #expect(header(answer.headerMutation, "traceparent")?.hasPrefix("00-0af7") == true)
    #expect(observer.records == [record])
    #expect(
      answer.bodyMutation == .replace(request.rewritingModel(in: body, to: "chat-model")))

    let explicit = try parsed("chat-model", "hi")
    var kept = RoutedRequest(
      request: explicit, classification: router.classify(explicit))
    let (keptDecision, keptRecord) = RoutePhase.run(&kept, router: router, observer: nil)
    guard case .route(let keptRoute) = keptDecision else {
      Issue.record("expected a route")
      return
    }
    let unchanged = AnswerPhase.run(
      kept, route: keptRoute, record: keptRecord, body: Self.chat("chat-model", "hi"),
      headers: router.configuration.routingHeaders, observer: nil)
    #expect(unchanged.bodyMutation == .none)
  }
}
