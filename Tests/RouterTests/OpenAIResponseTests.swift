import Router
import Testing

@Suite struct OpenAIResponseTests {
  static let completion = #"""
    {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"llama-3.1-8b",
     "choices":[{"index":0,"message":{"role":"assistant","content":"Four. \"Exactly\" 4 ✓"},
     "logprobs":null,"finish_reason":"stop"}],
     "usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}
    """#

  /// A vLLM-style stream: role-only first chunk, two content chunks, a usage chunk, [DONE].
  static let stream = Array(
    "data: {\"id\":\"c\",\"model\":\"m1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
      + ": keep-alive comment\n\n"
      + "data: {\"id\":\"c\",\"model\":\"m1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\r\n\r\n"
      + "data: {\"id\":\"c\",\"model\":\"m1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\r\r"
      + "data: {\"id\":\"c\",\"model\":\"m1\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2}}\n\n"
      + "data: [DONE]\n\n")

  @Test func jsonResponse_yieldsModelAndUsage() throws {
    let summary = try #require(OpenAIResponseSummary.parse(Array(Self.completion)))
    #expect(summary.model == "llama-3.1-8b")
    #expect(summary.promptTokens == 12)
    #expect(summary.completionTokens == 5)
    #expect(summary.hasGeneratedContent)
    #expect(OpenAIResponseSummary.parse(Array("not json")) == nil)
    #expect(
      OpenAIResponseSummary.parse(Array(#"{"usage":{"prompt_tokens":1.5}}"#))?.promptTokens == nil)
  }

  private func events(splitting bytes: [UInt8], at cuts: [Int]) -> [ServerSentEventParser.Event] {
    var parser = ServerSentEventParser()
    var events: [ServerSentEventParser.Event] = []
    var start = 0
    for cut in cuts + [bytes.count] {
      parser.feed(Array(bytes[start..<cut])) { events.append($0) }
      start = cut
    }
    return events
  }

  @Test func sseParser_yieldsDataEvents_forAnyLineEnding() {
    let all = events(splitting: Self.stream, at: [])
    #expect(all.count == 5)
    #expect(String(bytes: all[4].data) == "[DONE]")
    let multi = events(splitting: Array("event: x\ndata: a\ndata:b\nid: 1\n\ndata: lost"), at: [])
    #expect(multi == [.init(name: "x", data: Array("a\nb"))])
  }

  @Test func sseParser_givesTheSameEvents_forEverySplitIntoTwoAndThree() {
    let expected = events(splitting: Self.stream, at: [])
    for first in 0...Self.stream.count {
      #expect(events(splitting: Self.stream, at: [first]) == expected, "split at \(first)")
    }
    for first in stride(from: 0, through: Self.stream.count, by: 7) {
      for second in first...Self.stream.count {
        if events(splitting: Self.stream, at: [first, second]) != expected {
          Issue.record("split at \(first), \(second)")
          return
        }
      }
    }
    #expect(events(splitting: Self.stream, at: Array(0..<Self.stream.count)) == expected)
  }

  @Test func streamObserver_findsFirstToken_usage_andDone_acrossChunks() {
    for cut in 0...Self.stream.count {
      var observer = OpenAIStreamObserver()
      let firstInA = observer.observe(Array(Self.stream[..<cut]))
      let firstInB = observer.observe(Array(Self.stream[cut...]))
      #expect(firstInA != firstInB)
      #expect(observer.sawDone)
      #expect(observer.summary.model == "m1")
      #expect(observer.summary.promptTokens == 7)
      #expect(observer.summary.completionTokens == 2)
    }
    var roleOnly = OpenAIStreamObserver()
    let firstChunkEnd = Self.stream.firstIndex(of: 0x0A)! + 2
    let sawFirst = roleOnly.observe(Array(Self.stream[..<firstChunkEnd]))
    #expect(!sawFirst)
    #expect(!roleOnly.sawFirstToken)
  }

  @Test func streamEncoder_turnsACompletionIntoAnEquivalentStream() throws {
    let stream = try #require(
      OpenAIStreamEncoder.eventStream(fromCompletion: Array(Self.completion)))
    var parser = ServerSentEventParser()
    var datas: [String] = []
    parser.feed(stream) { datas.append(String(bytes: $0.data)) }
    #expect(datas.last == "[DONE]")
    #expect(datas.count == 4)
    #expect(datas[0].contains(#""delta":{"role":"assistant","content":"Four. \"Exactly\" 4 ✓"}"#))
    #expect(datas[1].contains(#""finish_reason":"stop""#))
    #expect(
      datas[2].contains(#""usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}"#))
    var observer = OpenAIStreamObserver()
    let sawFirst = observer.observe(stream)
    #expect(sawFirst)
    #expect(observer.summary.model == "llama-3.1-8b")
    #expect(observer.summary.completionTokens == 5)
    for data in datas.dropLast() {
      #expect(OpenAIResponseSummary.parse(Array(data)) != nil, "chunk is valid JSON: \(data)")
    }
    #expect(OpenAIStreamEncoder.eventStream(fromCompletion: Array("[]")) == nil)
  }
}
