import ExtProc
import Logging
import Router
import Testing

/// Records every observer call, for checking what tracing would see.
final class RecordingObserver: RequestObserver {
  var events: [String] = []
  var records: [RoutingRecord] = []

  func requestStarted(method: String, path: String, headers: HTTPHeaders) {
    events.append("start \(method) \(path) \(headers["traceparent"] ?? "-")")
  }
  func classificationStarted() { events.append("classify") }
  func classificationFinished(_ classification: Classification) {
    events.append("classified \(classification.category)")
  }
  func cacheLookupStarted() { events.append("cache") }
  func cacheLookupFinished(hit: Bool) { events.append("cache \(hit ? "hit" : "miss")") }
  func routingStarted() { events.append("route") }
  func routed(_ record: RoutingRecord) -> [(name: String, value: String)] {
    records.append(record)
    events.append("routed \(record.selectedModel ?? "-")")
    return [("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
  }
  func immediateResponse(status: Int, reason: String, record: RoutingRecord?) {
    events.append("immediate \(status) \(reason)")
  }
  func responseStarted(status: Int) { events.append("response \(status)") }
  func firstToken() { events.append("first token") }
  func responseFinished(_ summary: OpenAIResponseSummary) {
    events.append("finished \(summary.promptTokens ?? -1)/\(summary.completionTokens ?? -1)")
  }
  func responseLimitExceeded(_ limit: ResponseLimit) { events.append("limit \(limit.rawValue)") }
  func streamEnded(_ end: ProcessorStreamEnd) { events.append("ended") }
}

@Suite struct SemanticRouterProcessorTests {
  static let configuration = RouterFixtures.twoModels

  private let router = SemanticRouter(configuration: Self.configuration)
  private let logger = Logger(label: "test")

  private func headers(
    _ method: String = "POST", _ path: String = "/v1/chat/completions",
    extra: [(String, String)] = [],
    endOfStream: Bool = false
  ) -> HTTPHeadersMessage {
    HTTPHeadersMessage(
      headers: HTTPHeaders(
        [(":method", method), (":path", path), ("content-type", "application/json")] + extra),
      endOfStream: endOfStream)
  }

  private func chat(_ model: String, _ question: String, stream: Bool = false) -> HTTPBody {
    HTTPBody(
      bytes: Array(
        #"{"model":"\#(model)","messages":[{"role":"user","content":"\#(question)"}],"stream":\#(stream)}"#
      ),
      endOfStream: true)
  }

  private func response(_ decision: BodyDecision) -> CommonResponse? {
    if case .respond(let response) = decision { return response }
    return nil
  }

  private func immediate(_ decision: BodyDecision) -> ImmediateResponse? {
    if case .immediate(let response) = decision { return response }
    return nil
  }

  private func header(_ mutation: HeaderMutation, _ name: String) -> String? {
    mutation.setHeaders.first { $0.name == name }?.value
  }

  static let completion = Array(
    #"{"id":"x","object":"chat.completion","created":1,"model":"math-model","choices":[{"index":0,"message":{"role":"assistant","content":"x = 2"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3}}"#
  )

  @Test func autoRequest_isRoutedByCategory_withBodyRewrittenAndHeadersSet() throws {
    let observer = RecordingObserver()
    let processor = SemanticRouterProcessor(router: router, observer: observer, logger: logger)
    #expect(
      processor.processRequestHeaders(headers(extra: [("traceparent", "00-abc")])) == .passThrough)
    let body = chat("auto", "solve the equation 2x = 4")
    let answer = try #require(response(processor.processRequestBody(body, mode: .buffered)))
    #expect(answer.clearRouteCache)
    #expect(header(answer.headerMutation, "x-selected-model") == "math-model")
    #expect(header(answer.headerMutation, "x-selected-cluster") == "vsr_m1")
    #expect(header(answer.headerMutation, "traceparent")?.hasPrefix("00-0af7") == true)
    guard case .replace(let rewritten) = answer.bodyMutation else {
      Issue.record("body not rewritten")
      return
    }
    #expect(String(bytes: rewritten).hasPrefix(#"{"model":"math-model","messages""#))
    #expect(header(answer.headerMutation, "content-length") == String(rewritten.count))
    #expect(observer.records.first?.category == "math")
    #expect(observer.records.first?.originalModel == "auto")
    #expect(observer.records.first?.endpointAddress == "http://127.0.0.1:8101")

    let responseHeaders = HTTPHeadersMessage(
      headers: [":status": "200", "content-type": "application/json"])
    guard
      case .respond(let headerAnswer, let override) = processor.processResponseHeaders(
        responseHeaders)
    else {
      Issue.record("expected a headers answer")
      return
    }
    #expect(override == nil)
    #expect(header(headerAnswer.headerMutation, "x-vsr-selected-category") == "math")
    #expect(header(headerAnswer.headerMutation, "x-vsr-selected-model") == "math-model")
    #expect(
      processor.processResponseBody(
        HTTPBody(bytes: Self.completion, endOfStream: true), mode: .buffered) == .passThrough)
    processor.streamEnded(.completed)
    #expect(
      observer.events == [
        "start POST /v1/chat/completions 00-abc", "classify", "classified math", "route",
        "cache", "cache miss", "routed math-model", "response 200", "finished 9/3", "ended",
      ])
  }

  @Test func explicitModel_keepsTheBody() throws {
    let processor = SemanticRouterProcessor(router: router, logger: logger)
    _ = processor.processRequestHeaders(headers())
    let answer = try #require(
      response(processor.processRequestBody(chat("chat-model", "solve x"), mode: .buffered)))
    #expect(header(answer.headerMutation, "x-selected-model") == "chat-model")
    #expect(header(answer.headerMutation, "x-selected-cluster") == "vsr_c1")
    #expect(answer.bodyMutation == .none)
  }

  @Test func otherPaths_areSkipped() {
    let processor = SemanticRouterProcessor(router: router, logger: logger)
    guard
      case .respond(let answer, let override) = processor.processRequestHeaders(
        headers("GET", "/v1/files"))
    else {
      Issue.record("expected pass-through")
      return
    }
    #expect(answer == CommonResponse())
    #expect(override?.requestBodyMode == ProcessingMode.BodySendMode.none)
    #expect(override?.responseHeaderMode == .skip)
  }

  @Test func badInput_getsOpenAIErrors() throws {
    func run(_ body: HTTPBody, headers extra: [(String, String)] = []) -> ImmediateResponse? {
      let processor = SemanticRouterProcessor(router: router, logger: logger)
      if case .immediate(let early) = processor.processRequestHeaders(headers(extra: extra)) {
        return early
      }
      return immediate(processor.processRequestBody(body, mode: .buffered))
    }
    let invalid = try #require(run(HTTPBody(bytes: Array("{nope"), endOfStream: true)))
    #expect(invalid.status == 400)
    #expect(String(bytes: invalid.body).contains(#""code":"invalid_json""#))
    let missing = try #require(run(HTTPBody(bytes: Array(#"{"model":"auto"}"#), endOfStream: true)))
    #expect(missing.status == 400)
    #expect(String(bytes: missing.body).contains("messages"))
    let unknown = try #require(run(chat("gpt-9", "hi")))
    #expect(unknown.status == 404)
    #expect(String(bytes: unknown.body).contains("model_not_found"))
    let big = try #require(run(chat("auto", String(repeating: "a", count: 3000))))
    #expect(big.status == 413)
    let bigByHeader = try #require(run(chat("auto", "x"), headers: [("content-length", "5000")]))
    #expect(bigByHeader.status == 413)
    #expect(header(big.headers, "content-type") == "application/json")
  }

  @Test func cacheHit_isAnsweredImmediately_asJSONOrSSE() throws {
    let router = SemanticRouter(configuration: Self.configuration)
    let first = SemanticRouterProcessor(router: router, logger: logger)
    _ = first.processRequestHeaders(headers())
    _ = first.processRequestBody(chat("auto", "solve the equation 2x = 4"), mode: .buffered)
    _ = first.processResponseHeaders(
      HTTPHeadersMessage(headers: [":status": "200", "content-type": "application/json"]))
    _ = first.processResponseBody(
      HTTPBody(bytes: Self.completion, endOfStream: true), mode: .buffered)
    #expect(router.cache?.count == 1)

    let observer = RecordingObserver()
    let second = SemanticRouterProcessor(router: router, observer: observer, logger: logger)
    _ = second.processRequestHeaders(headers())
    let hit = try #require(
      immediate(
        second.processRequestBody(chat("auto", "Solve the equation 2x = 4!"), mode: .buffered)))
    #expect(hit.status == 200)
    #expect(hit.body == Self.completion)
    #expect(header(hit.headers, "x-vsr-cache-hit") == "true")
    #expect(observer.events.contains("cache hit"))
    #expect(!observer.events.contains { $0.hasPrefix("routed") })

    let streaming = SemanticRouterProcessor(router: router, logger: logger)
    _ = streaming.processRequestHeaders(headers())
    let sse = try #require(
      immediate(
        streaming.processRequestBody(
          chat("auto", "solve the equation 2x = 4", stream: true), mode: .buffered)))
    #expect(header(sse.headers, "content-type") == "text/event-stream")
    #expect(String(bytes: sse.body).hasSuffix("data: [DONE]\n\n"))
  }

  @Test func eventStreamResponse_switchesToStreamed_andPassesChunksUnchanged() throws {
    let observer = RecordingObserver()
    let processor = SemanticRouterProcessor(router: router, observer: observer, logger: logger)
    _ = processor.processRequestHeaders(headers())
    _ = processor.processRequestBody(chat("auto", "tell me a joke", stream: true), mode: .buffered)
    guard
      case .respond(_, let override) = processor.processResponseHeaders(
        HTTPHeadersMessage(headers: [
          ":status": "200", "content-type": "text/event-stream; charset=utf-8",
        ]))
    else {
      Issue.record("expected a headers answer")
      return
    }
    #expect(override?.responseBodyMode == .streamed)
    let chunks = [
      "data: {\"model\":\"chat-model\",\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\nda",
      "ta: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n",
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n",
    ]
    for (index, chunk) in chunks.enumerated() {
      let decision = processor.processResponseBody(
        HTTPBody(bytes: Array(chunk), endOfStream: index == chunks.count - 1), mode: .streamed)
      #expect(decision == .passThrough)
    }
    #expect(observer.events.suffix(3) == ["response 200", "first token", "finished 4/1"])
    #expect(router.cache?.count == 0)
  }
}
