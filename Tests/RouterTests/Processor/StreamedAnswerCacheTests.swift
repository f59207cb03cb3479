import ExtProc
import Logging
import Router
import Testing

/// Streamed answers through the processor: stored when successful, replayed as JSON or SSE.
@Suite struct StreamedAnswerCacheTests {
  private let logger = Logger(label: "test")

  private func send(
    _ router: SemanticRouter, question: String, stream: Bool
  ) -> (SemanticRouterProcessor, BodyDecision) {
    let processor = SemanticRouterProcessor(router: router, logger: logger)
    _ = processor.processRequestHeaders(
      HTTPHeadersMessage(headers: [
        ":method": "POST", ":path": "/v1/chat/completions", "content-type": "application/json",
      ]))
    let body =
      #"{"model":"auto","messages":[{"role":"user","content":"\#(question)"}],"stream":\#(stream)}"#
    return (
      processor,
      processor.processRequestBody(
        HTTPBody(bytes: Array(body.utf8), endOfStream: true), mode: .buffered)
    )
  }

  /// Answers `processor`'s request with `stream` as an event stream of `status`, in chunks.
  private func answer(_ processor: SemanticRouterProcessor, status: Int, stream: String) {
    _ = processor.processResponseHeaders(
      HTTPHeadersMessage(headers: [":status": "\(status)", "content-type": "text/event-stream"]))
    let bytes = Array(stream.utf8)
    for start in stride(from: 0, to: bytes.count, by: 50) {
      let end = min(start + 50, bytes.count)
      _ = processor.processResponseBody(
        HTTPBody(bytes: Array(bytes[start..<end]), endOfStream: end == bytes.count),
        mode: .streamed)
    }
  }

  @Test func aStreamedAnswer_isServedFromTheCache_asJSONAndAsAStream() throws {
    let router = SemanticRouter(configuration: RouterFixtures.twoModels)
    let (first, decision) = send(router, question: "solve the equation 2x = 4", stream: true)
    guard case .respond = decision else {
      Issue.record("the first request was not sent upstream")
      return
    }
    answer(first, status: 200, stream: StreamedCompletionAssemblerTests.chatStream)
    #expect(router.cache?.count == 1)

    guard
      case .immediate(let json) = send(
        router, question: "Solve the equation 2x = 4!", stream: false
      ).1
    else {
      Issue.record("no cache hit as JSON")
      return
    }
    #expect(
      json.headers.setHeaders.contains {
        $0.name == "content-type" && $0.value == "application/json"
      })
    let value = try #require(JSONValue.parse(json.body))
    #expect(
      value["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue
        == "Hello \"there\", héllo")
    #expect(value["usage"]?["total_tokens"]?.intValue == 9)

    guard
      case .immediate(let sse) = send(router, question: "solve the equation 2x = 4", stream: true).1
    else {
      Issue.record("no cache hit as a stream")
      return
    }
    let text = String(decoding: sse.body, as: UTF8.self)
    #expect(text.contains(#""content":"Hello \"there\", héllo""#))
    #expect(text.contains(#""finish_reason":"length""#))
    #expect(text.hasSuffix("data: [DONE]\n\n"))
  }

  @Test(arguments: [429, 500, 503])
  func aNon2xxStream_isNeverStored(status: Int) {
    let router = SemanticRouter(configuration: RouterFixtures.twoModels)
    let (first, _) = send(router, question: "solve the equation 2x = 4", stream: true)
    answer(first, status: status, stream: StreamedCompletionAssemblerTests.chatStream)
    #expect(router.cache?.count == 0)
  }

  @Test func aStreamPastMaxAnswerBytes_isCountedAndNotStored() throws {
    var configuration = RouterFixtures.twoModels
    configuration.semanticCache.maxAnswerBytes = 10
    let router = SemanticRouter(configuration: configuration)
    let (first, _) = send(router, question: "solve the equation 2x = 4", stream: true)
    answer(first, status: 200, stream: StreamedCompletionAssemblerTests.chatStream)
    #expect(router.cache?.count == 0)
    #expect(router.cache?.statistics.notStoredTooLarge == 1)
  }
}
