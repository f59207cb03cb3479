import ExtProc
import Logging
import Router
import Synchronization
import Testing
import Tracing

/// A span processor that keeps every ended span.
final class RecordingSpanProcessor: SpanProcessor {
  private let spans = Mutex<[SpanData]>([])

  var ended: [SpanData] { spans.withLock { $0 } }

  func onEnd(_ span: SpanData) { spans.withLock { $0.append(span) } }
  func forceFlush(timeout: Duration) -> Bool { true }
  func shutdown(timeout: Duration) -> Bool { true }

  /// The one span named `name`.
  func span(_ name: String) throws -> SpanData {
    let matches = ended.filter { $0.name == name }
    try #require(matches.count == 1, "\(matches.count) spans named \(name)")
    return matches[0]
  }
}

/// A clock that moves 1 µs at every read, so each span time is distinct and ordered.
final class SteppingClock: TracingClock {
  private let now = Atomic<UInt64>(1_700_000_000_000_000_000)

  func nowUnixNanos() -> UInt64 { now.wrappingAdd(1_000, ordering: .relaxed).newValue }
}

extension SpanData {
  func attribute(_ key: String) -> AttributeValue? {
    attributes.first { $0.key == key }?.value
  }

  var statusMessage: String? {
    if case .error(let message) = status { return message }
    return nil
  }
}

/// `TracingRequestObserver` driven through a real `SemanticRouterProcessor`, message by message
/// as Envoy sends them, with a tracer that records into memory.
@Suite struct TelemetryObserverTests {
  static let configuration = RouterFixtures.twoModels

  static let clientTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
  static let envoyTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01"
  static let completion = Array(
    #"{"id":"x","object":"chat.completion","created":1,"model":"math-model-v2","choices":[{"index":0,"message":{"role":"assistant","content":"x = 2"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3}}"#
      .utf8)

  let spans = RecordingSpanProcessor()
  let tracing: RouterTracing
  let router = SemanticRouter(configuration: Self.configuration)
  let logger = Logger(label: "test")

  init() {
    tracing = RouterTracing(
      tracer: Tracer(
        processor: spans, clock: SteppingClock(), idGenerator: RandomIDGenerator(seed: 7)))
  }

  // MARK: - Driving

  private func processor(metadata: HTTPHeaders = HTTPHeaders()) -> SemanticRouterProcessor {
    let observer = tracing.makeObserver(ProcessorContext(metadata: metadata, peerAddress: "test"))
    return SemanticRouterProcessor(router: router, observer: observer, logger: logger)
  }

  private func requestHeaders(
    _ path: String = "/v1/chat/completions", _ extra: [(String, String)] = []
  ) -> HTTPHeadersMessage {
    HTTPHeadersMessage(
      headers: HTTPHeaders(
        [(":method", "POST"), (":path", path), ("content-type", "application/json")] + extra),
      endOfStream: false)
  }

  private func chat(_ model: String, _ question: String, stream: Bool = false) -> HTTPBody {
    HTTPBody(
      bytes: Array(
        #"{"model":"\#(model)","messages":[{"role":"user","content":"\#(question)"}],"stream":\#(stream)}"#
          .utf8),
      endOfStream: true)
  }

  /// Sends request headers and body; returns the headers set on the upstream request.
  private func route(
    _ processor: SemanticRouterProcessor, headers extra: [(String, String)] = [],
    model: String = "auto", question: String = "solve the equation 2x = 4", stream: Bool = false
  ) throws -> [String: String] {
    #expect(
      processor.processRequestHeaders(requestHeaders("/v1/chat/completions", extra)) == .passThrough
    )
    guard
      case .respond(let answer) = processor.processRequestBody(
        chat(model, question, stream: stream), mode: .buffered)
    else {
      Issue.record("request was not routed")
      return [:]
    }
    return Dictionary(
      answer.headerMutation.setHeaders.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
  }

  private func respondJSON(_ processor: SemanticRouterProcessor, status: Int = 200) {
    _ = processor.processResponseHeaders(
      HTTPHeadersMessage(headers: [":status": String(status), "content-type": "application/json"]))
    _ = processor.processResponseBody(
      HTTPBody(bytes: Self.completion, endOfStream: true), mode: .buffered)
  }

  private static let allNames = [
    TracingRequestObserver.requestSpanName, TracingRequestObserver.classificationSpanName,
    TracingRequestObserver.cacheLookupSpanName, TracingRequestObserver.routingSpanName,
    TracingRequestObserver.upstreamSpanName,
  ]

  // MARK: - Span tree

  @Test func routedRequest_recordsFiveSpans_siblingsUnderTheRoot_underTheClientSpan() throws {
    let processor = processor()
    let injected = try route(processor, headers: [("traceparent", Self.clientTraceparent)])
    respondJSON(processor)
    processor.streamEnded(.completed)

    #expect(Set(spans.ended.map(\.name)) == Set(Self.allNames))
    #expect(spans.ended.count == 5)
    let root = try spans.span("semantic_router.request.received")
    #expect(root.kind == .server)
    #expect(root.context.traceID.hexString == "4bf92f3577b34da6a3ce929d0e0e4736")
    #expect(root.parentSpanID?.hexString == "00f067aa0ba902b7")
    #expect(root.parentIsRemote == true)
    for name in Self.allNames.dropFirst() {
      let child = try spans.span(name)
      #expect(child.context.traceID == root.context.traceID)
      #expect(child.parentSpanID == root.context.spanID, "\(name) hangs under the root")
      #expect(child.parentIsRemote == false)
      #expect(child.startTimeUnixNanos > root.startTimeUnixNanos)
      #expect(child.endTimeUnixNanos > child.startTimeUnixNanos)
      #expect(child.endTimeUnixNanos <= root.endTimeUnixNanos)
      #expect(child.status == .unset)
    }
    let upstream = try spans.span("semantic_router.upstream.request")
    #expect(upstream.kind == .client)
    #expect(try spans.span("semantic_router.classification").kind == .internal)
    // Real order: classification, then routing, then the cache lookup, then upstream.
    let classification = try spans.span("semantic_router.classification")
    let routing = try spans.span("semantic_router.routing.decision")
    let cache = try spans.span("semantic_router.cache.lookup")
    #expect(classification.endTimeUnixNanos <= routing.startTimeUnixNanos)
    #expect(routing.endTimeUnixNanos <= cache.startTimeUnixNanos)
    #expect(cache.endTimeUnixNanos <= upstream.startTimeUnixNanos)
    #expect(upstream.endTimeUnixNanos == root.endTimeUnixNanos)

    // The upstream request names the upstream span, sampled.
    #expect(
      injected["traceparent"]
        == "00-4bf92f3577b34da6a3ce929d0e0e4736-\(upstream.context.spanID.hexString)-01")
    #expect(injected["x-selected-model"] == "math-model")
  }

  @Test func routedRequest_carriesTheAttributeSet() throws {
    let processor = processor()
    _ = try route(processor)
    respondJSON(processor)
    processor.streamEnded(.completed)

    let root = try spans.span("semantic_router.request.received")
    #expect(root.parentSpanID == nil)
    #expect(root.attribute("http.request.method") == .string("POST"))
    #expect(root.attribute("url.path") == .string("/v1/chat/completions"))
    #expect(root.attribute("http.response.status_code") == .int(200))
    #expect(root.attribute("gen_ai.operation.name") == .string("chat"))
    #expect(root.attribute("gen_ai.provider.name") == .string("vllm"))
    #expect(root.attribute("gen_ai.request.model") == .string("auto"))
    #expect(root.attribute("gen_ai.response.model") == .string("math-model-v2"))
    #expect(root.attribute("gen_ai.usage.input_tokens") == .int(9))
    #expect(root.attribute("gen_ai.usage.output_tokens") == .int(3))
    #expect(root.attribute("category.name") == .string("math"))
    #expect(root.attribute("routing.selected_model") == .string("math-model"))
    #expect(root.attribute("cache.hit") == .bool(false))

    let classification = try spans.span("semantic_router.classification")
    #expect(classification.attribute("category.name") == .string("math"))
    #expect(classification.attribute("classifier.type") == .string("statistical"))
    guard case .double(let confidence) = classification.attribute("classification.confidence")
    else {
      Issue.record("no confidence")
      return
    }
    #expect(confidence > 0 && confidence <= 1)

    #expect(try spans.span("semantic_router.cache.lookup").attribute("cache.hit") == .bool(false))

    let routing = try spans.span("semantic_router.routing.decision")
    #expect(routing.attribute("routing.original_model") == .string("auto"))
    #expect(routing.attribute("routing.selected_model") == .string("math-model"))
    #expect(routing.attribute("routing.reason") != nil)
    #expect(routing.attribute("endpoint.name") == .string("m1"))
    #expect(routing.attribute("endpoint.address") == .string("http://127.0.0.1:8101"))

    let upstream = try spans.span("semantic_router.upstream.request")
    #expect(upstream.attribute("gen_ai.request.model") == .string("math-model"))
    #expect(upstream.attribute("gen_ai.response.model") == .string("math-model-v2"))
    #expect(upstream.attribute("gen_ai.usage.input_tokens") == .int(9))
    #expect(upstream.attribute("gen_ai.usage.output_tokens") == .int(3))
    #expect(upstream.attribute("http.response.status_code") == .int(200))
    #expect(upstream.attribute("endpoint.name") == .string("m1"))
    #expect(upstream.attribute("endpoint.address") == .string("http://127.0.0.1:8101"))
  }

  @Test func completionsPath_isTextCompletion() throws {
    let processor = processor()
    _ = processor.processRequestHeaders(requestHeaders("/v1/completions?x=1"))
    _ = processor.processRequestBody(
      HTTPBody(
        bytes: Array(#"{"model":"auto","prompt":"solve the equation"}"#.utf8), endOfStream: true),
      mode: .buffered)
    respondJSON(processor)
    processor.streamEnded(.completed)
    let root = try spans.span("semantic_router.request.received")
    #expect(root.attribute("gen_ai.operation.name") == .string("text_completion"))
    #expect(root.attribute("url.path") == .string("/v1/completions"))
    #expect(
      try spans.span("semantic_router.upstream.request").attribute("gen_ai.operation.name")
        == .string("text_completion"))
  }

  // MARK: - Parent choice

  @Test func streamMetadataTraceparent_winsOverTheForwardedHeaders() throws {
    let processor = processor(metadata: [
      "traceparent": Self.envoyTraceparent, "tracestate": "",
    ])
    let injected = try route(
      processor,
      headers: [("traceparent", Self.clientTraceparent), ("tracestate", "vendor=abc")])
    respondJSON(processor)
    processor.streamEnded(.completed)
    let root = try spans.span("semantic_router.request.received")
    #expect(root.parentSpanID?.hexString == "b7ad6b7169203331")
    #expect(root.parentIsRemote == true)
    // Envoy's empty tracestate does not erase the client's on the same trace.
    #expect(injected["tracestate"] == "vendor=abc")
  }

  @Test func invalidStreamMetadataTraceparent_fallsBackToTheForwardedHeaders() throws {
    let processor = processor(metadata: ["traceparent": "00-zz-nothex-01"])
    _ = try route(processor, headers: [("traceparent", Self.clientTraceparent)])
    respondJSON(processor)
    processor.streamEnded(.completed)
    #expect(
      try spans.span("semantic_router.request.received").parentSpanID?.hexString
        == "00f067aa0ba902b7")
  }

  @Test func invalidTraceparent_startsANewTrace_andIgnoresTracestate() throws {
    let processor = processor()
    let injected = try route(
      processor,
      headers: [
        ("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
        ("tracestate", "vendor=abc"),
      ])
    respondJSON(processor)
    processor.streamEnded(.completed)
    let root = try spans.span("semantic_router.request.received")
    #expect(root.parentSpanID == nil)
    #expect(root.context.traceID.isValid)
    #expect(injected["traceparent"]?.contains(root.context.traceID.hexString) == true)
    // The client's tracestate is overwritten with an empty list, not passed on.
    #expect(injected["tracestate"] == "")
  }

  @Test func tracestateAndBaggage_areCarriedOnToTheUpstream() throws {
    let processor = processor()
    let injected = try route(
      processor,
      headers: [
        ("traceparent", Self.clientTraceparent), ("tracestate", "congo=t61rcWkgMzE,rojo=00f0"),
        ("baggage", "userId=alice,isProduction=false;p=1"),
      ])
    respondJSON(processor)
    #expect(injected["tracestate"] == "congo=t61rcWkgMzE,rojo=00f0")
    #expect(injected["baggage"] == "userId=alice,isProduction=false;p=1")
  }

  // MARK: - Sampling

  @Test func unsampledParent_recordsNothing_butPropagatesFlag00() throws {
    let processor = processor()
    let injected = try route(
      processor,
      headers: [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")])
    respondJSON(processor)
    processor.streamEnded(.completed)
    #expect(spans.ended.isEmpty)
    let traceparent = try #require(injected["traceparent"])
    let parsed = try TraceParent.parse(traceparent)
    #expect(parsed.traceID.hexString == "4bf92f3577b34da6a3ce929d0e0e4736")
    #expect(parsed.parentID.hexString != "00f067aa0ba902b7", "a span of our own is named")
    #expect(traceparent.hasSuffix("-00"))
  }

  @Test func alwaysOffRoot_recordsNothing_andStartsAnUnsampledTrace() throws {
    let tracing = RouterTracing(
      tracer: Tracer(sampler: ParentBasedSampler(root: AlwaysOffSampler()), processor: spans))
    let observer = tracing.makeObserver(ProcessorContext(metadata: HTTPHeaders(), peerAddress: "t"))
    let processor = SemanticRouterProcessor(router: router, observer: observer, logger: logger)
    let injected = try route(processor)
    respondJSON(processor)
    processor.streamEnded(.completed)
    #expect(spans.ended.isEmpty)
    #expect(injected["traceparent"]?.hasSuffix("-02") == true)
  }

  @Test func disabledTracer_makesNoObserver() {
    let tracing = RouterTracing(tracer: .disabled())
    #expect(
      tracing.makeObserver(ProcessorContext(metadata: HTTPHeaders(), peerAddress: "t")) == nil)
  }

  @Test func otherPaths_createNoSpans() {
    let processor = processor()
    _ = processor.processRequestHeaders(
      HTTPHeadersMessage(headers: [":method": "GET", ":path": "/v1/models"], endOfStream: true))
    processor.streamEnded(.completed)
    #expect(spans.ended.isEmpty)
  }

  // MARK: - Errors and cancellation

  @Test func cancelledStream_endsEveryOpenSpanWithAnError() throws {
    let processor = processor()
    _ = try route(processor, stream: true)
    _ = processor.processResponseHeaders(
      HTTPHeadersMessage(headers: [":status": "200", "content-type": "text/event-stream"]))
    _ = processor.processResponseBody(
      HTTPBody(bytes: Array("data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n".utf8)),
      mode: .streamed)
    processor.streamEnded(.cancelled)

    #expect(spans.ended.count == 5)
    for name in ["semantic_router.request.received", "semantic_router.upstream.request"] {
      let span = try spans.span(name)
      #expect(span.statusMessage == "ext_proc stream cancelled by Envoy")
      #expect(span.attribute("error.type") == .string("cancelled"))
    }
    // Spans that had finished keep their status.
    #expect(try spans.span("semantic_router.classification").status == .unset)
    let upstream = try spans.span("semantic_router.upstream.request")
    #expect(upstream.events.map(\.name) == ["gen_ai.first_token"])
  }

  @Test func cancelMidClassification_endsTheOpenChildAndTheRoot() throws {
    let observer = try #require(
      tracing.makeObserver(ProcessorContext(metadata: HTTPHeaders(), peerAddress: "t")))
    observer.requestStarted(
      method: "POST", path: "/v1/chat/completions", headers: [":path": "/v1/chat/completions"])
    observer.classificationStarted()
    observer.streamEnded(.connectionClosed)
    observer.streamEnded(.completed)
    #expect(
      spans.ended.map(\.name).sorted() == [
        "semantic_router.classification", "semantic_router.request.received",
      ])
    for span in spans.ended {
      #expect(span.statusMessage == "connection to Envoy closed")
      #expect(span.endTimeUnixNanos > span.startTimeUnixNanos)
    }
  }

  @Test func serverError_marksRootAndUpstream() throws {
    let processor = processor()
    _ = try route(processor)
    respondJSON(processor, status: 503)
    processor.streamEnded(.completed)
    for name in ["semantic_router.request.received", "semantic_router.upstream.request"] {
      let span = try spans.span(name)
      #expect(span.statusMessage == "HTTP 503")
      #expect(span.attribute("http.response.status_code") == .int(503))
    }
  }

  @Test func clientError_marksOnlyTheClientSpan() throws {
    let processor = processor()
    _ = try route(processor)
    respondJSON(processor, status: 429)
    processor.streamEnded(.completed)
    #expect(try spans.span("semantic_router.request.received").status == .unset)
    #expect(try spans.span("semantic_router.upstream.request").statusMessage == "HTTP 429")
  }

  // MARK: - Faults seen through Envoy (Tests/integration/test_tracing_faults.py)

  /// Expects the five spans, each ended once, with the root and upstream spans failed with
  /// `errorType` and `message` and the others as they finished.
  private func expectFailed(errorType: String, message: String) throws {
    #expect(spans.ended.count == 5)
    #expect(Set(spans.ended.map(\.name)) == Set(Self.allNames))
    for name in [TracingRequestObserver.requestSpanName, TracingRequestObserver.upstreamSpanName] {
      let span = try spans.span(name)
      #expect(span.statusMessage == message, "\(name)")
      #expect(span.attribute("error.type") == .string(errorType), "\(name)")
    }
    for name in Self.allNames.dropFirst().dropLast() {
      let span = try spans.span(name)
      #expect(span.status == .unset, "\(name)")
      #expect(span.attribute("error.type") == nil, "\(name)")
    }
  }

  /// Envoy answers a backend that reset (503) or stalled past the route timeout (504) itself;
  /// its answer reaches ext_proc as a response like any other, plain text and whole.
  @Test(arguments: [503, 504])
  func envoyLocalReply_failsRootAndUpstreamWithTheStatus(status: Int) throws {
    let processor = processor()
    _ = try route(processor)
    _ = processor.processResponseHeaders(
      HTTPHeadersMessage(headers: [":status": String(status), "content-type": "text/plain"]))
    _ = processor.processResponseBody(
      HTTPBody(bytes: Array("upstream connect error or disconnect/reset".utf8), endOfStream: true),
      mode: .buffered)
    processor.streamEnded(.completed)
    try expectFailed(errorType: String(status), message: "HTTP \(status)")
    let root = try spans.span(TracingRequestObserver.requestSpanName)
    #expect(root.attribute("http.response.status_code") == .int(Int64(status)))
  }

  @Test(arguments: [ProcessorStreamEnd.completed, .cancelled])
  func serverErrorCutShort_keepsTheStatusAsErrorType(end: ProcessorStreamEnd) throws {
    let processor = processor()
    _ = try route(processor)
    _ = processor.processResponseHeaders(
      HTTPHeadersMessage(headers: [":status": "502", "content-type": "application/json"]))
    processor.streamEnded(end)
    try expectFailed(errorType: "502", message: "HTTP 502")
  }

  @Test func streamEndingBeforeTheResponse_failsRootAndUpstreamAsClientDisconnected() throws {
    let processor = processor()
    _ = try route(processor)
    processor.streamEnded(.completed)
    try expectFailed(
      errorType: "client_disconnected",
      message: "ext_proc stream ended before the response: client went away")
    let root = try spans.span(TracingRequestObserver.requestSpanName)
    #expect(root.attribute("http.response.status_code") == nil)
  }

  @Test func sseDroppedAfterThreeChunks_failsRootAndUpstreamAsResponseIncomplete() throws {
    let processor = processor()
    _ = try route(processor, question: "tell me a joke", stream: true)
    _ = processor.processResponseHeaders(
      HTTPHeadersMessage(headers: [":status": "200", "content-type": "text/event-stream"]))
    for index in 0..<3 {
      let event = "data: {\"choices\":[{\"delta\":{\"content\":\"t\(index)\"}}]}\n\n"
      _ = processor.processResponseBody(HTTPBody(bytes: Array(event.utf8)), mode: .streamed)
    }
    processor.streamEnded(.completed)
    try expectFailed(
      errorType: "response_incomplete",
      message: "ext_proc stream ended before the response finished")
    let upstream = try spans.span(TracingRequestObserver.upstreamSpanName)
    #expect(upstream.attribute("http.response.status_code") == .int(200))
    #expect(upstream.events.map(\.name) == ["gen_ai.first_token"])
  }

  /// Envoy resets an ext_proc stream whose exchange is over: the spans ended with the response.
  @Test func resetAfterTheResponse_leavesEverySpanAsItEnded() throws {
    let processor = processor()
    _ = try route(processor)
    respondJSON(processor)
    processor.streamEnded(.cancelled)
    let ended = spans.ended
    #expect(ended.count == 5)
    #expect(ended.allSatisfy { $0.status == .unset && $0.attribute("error.type") == nil })
  }

  /// A body that arrives STREAMED is not routed, but its root span still ends with the response.
  @Test func unroutedRequest_isFollowedToTheEndOfItsResponse() throws {
    let processor = processor()
    _ = processor.processRequestHeaders(requestHeaders())
    #expect(processor.processRequestBody(chat("auto", "hi"), mode: .streamed) == .passThrough)
    respondJSON(processor, status: 502)
    let root = try spans.span(TracingRequestObserver.requestSpanName)
    #expect(spans.ended.count == 1)
    #expect(root.attribute("http.response.status_code") == .int(502))
    #expect(root.attribute("error.type") == .string("502"))
    processor.streamEnded(.completed)
    #expect(spans.ended.count == 1)
  }

  @Test func unknownModel_404_isAnErrorWithTheReason_andNoUpstreamSpan() throws {
    let processor = processor()
    _ = processor.processRequestHeaders(requestHeaders())
    guard
      case .immediate(let answer) = processor.processRequestBody(
        chat("gpt-9", "hi"), mode: .buffered)
    else {
      Issue.record("expected a 404")
      return
    }
    #expect(answer.status == 404)
    processor.streamEnded(.completed)
    #expect(!spans.ended.contains { $0.name == "semantic_router.upstream.request" })
    let root = try spans.span("semantic_router.request.received")
    #expect(root.statusMessage == "model_not_found")
    #expect(root.attribute("http.response.status_code") == .int(404))
    #expect(try spans.span("semantic_router.routing.decision").statusMessage == "model_not_found")
  }

  @Test func invalidJSON_400_endsTheRootWithTheReason() throws {
    let processor = processor()
    _ = processor.processRequestHeaders(requestHeaders())
    _ = processor.processRequestBody(
      HTTPBody(bytes: Array("{nope".utf8), endOfStream: true), mode: .buffered)
    processor.streamEnded(.completed)
    #expect(spans.ended.map(\.name) == ["semantic_router.request.received"])
    let root = try spans.span("semantic_router.request.received")
    #expect(root.statusMessage == "invalid_json")
    #expect(root.attribute("http.response.status_code") == .int(400))
  }

  @Test func oversizedBody_413_isAnError() throws {
    let processor = processor()
    _ = processor.processRequestHeaders(
      requestHeaders("/v1/chat/completions", [("content-length", "9999")]))
    processor.streamEnded(.completed)
    let root = try spans.span("semantic_router.request.received")
    #expect(root.attribute("http.response.status_code") == .int(413))
    #expect(root.statusMessage == "request_too_large")
  }

  // MARK: - Cache hit and streaming

  @Test func cacheHit_hasNoUpstreamSpan() throws {
    let first = processor()
    _ = try route(first)
    respondJSON(first)
    first.streamEnded(.completed)
    let firstCount = spans.ended.count

    let second = processor()
    _ = second.processRequestHeaders(requestHeaders())
    guard
      case .immediate(let hit) = second.processRequestBody(
        chat("auto", "solve the equation 2x = 4"), mode: .buffered)
    else {
      Issue.record("expected a cache hit")
      return
    }
    #expect(hit.status == 200)
    second.streamEnded(.completed)
    let secondSpans = spans.ended.dropFirst(firstCount)
    #expect(
      Set(secondSpans.map(\.name)) == [
        "semantic_router.request.received", "semantic_router.classification",
        "semantic_router.cache.lookup", "semantic_router.routing.decision",
      ])
    let root = try #require(secondSpans.first { $0.name == "semantic_router.request.received" })
    #expect(root.attribute("cache.hit") == .bool(true))
    #expect(root.attribute("http.response.status_code") == .int(200))
    #expect(root.status == .unset)
    let cache = try #require(secondSpans.first { $0.name == "semantic_router.cache.lookup" })
    #expect(cache.attribute("cache.hit") == .bool(true))
  }

  @Test func streamedResponse_getsAFirstTokenEvent_andUsageFromTheLastChunk() throws {
    let processor = processor()
    _ = try route(processor, question: "tell me a joke", stream: true)
    _ = processor.processResponseHeaders(
      HTTPHeadersMessage(headers: [":status": "200", "content-type": "text/event-stream"]))
    let chunks = [
      "data: {\"model\":\"chat-model\",\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n",
      "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n",
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n",
    ]
    for (index, chunk) in chunks.enumerated() {
      _ = processor.processResponseBody(
        HTTPBody(bytes: Array(chunk.utf8), endOfStream: index == chunks.count - 1), mode: .streamed)
    }
    processor.streamEnded(.completed)
    let upstream = try spans.span("semantic_router.upstream.request")
    let event = try #require(upstream.events.first)
    #expect(upstream.events.count == 1)
    #expect(event.name == "gen_ai.first_token")
    #expect(event.timeUnixNanos > upstream.startTimeUnixNanos)
    #expect(event.timeUnixNanos < upstream.endTimeUnixNanos)
    guard case .double(let ttft) = event.attributes.first?.value else {
      Issue.record("no time to first token")
      return
    }
    #expect(ttft > 0)
    #expect(upstream.attribute("gen_ai.usage.output_tokens") == .int(1))
    #expect(upstream.status == .unset)
  }
}
