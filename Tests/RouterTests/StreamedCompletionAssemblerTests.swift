import Testing

@testable import Router

@Suite struct StreamedCompletionAssemblerTests {
  /// A vLLM-style chat stream: role, two content deltas, the finish reason, a usage chunk.
  static let chatStream =
    #"data: {"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}"#
    + "\n\n"
    + #"data: {"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"content":"Hello \"there\""},"finish_reason":null}]}"#
    + "\n\n"
    + #"data: {"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"content":", héllo"},"finish_reason":null}]}"#
    + "\n\n"
    + #"data: {"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#
    + "\n\n"
    + #"data: {"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":4,"total_tokens":9}}"#
    + "\n\ndata: [DONE]\n\n"

  private func assemble(_ stream: String, chunkSize: Int, limit: Int = 1 << 20)
    -> StreamedCompletionAssembler
  {
    var assembler = StreamedCompletionAssembler(maxContentBytes: limit)
    let bytes = Array(stream.utf8)
    for start in stride(from: 0, to: bytes.count, by: chunkSize) {
      assembler.feed(Array(bytes[start..<min(start + chunkSize, bytes.count)]))
    }
    return assembler
  }

  @Test(arguments: [1, 7, 64, 100_000])
  func aChatStream_becomesTheCompletionItStreamed_whateverTheChunking(chunkSize: Int) throws {
    let json = try #require(assemble(Self.chatStream, chunkSize: chunkSize).completion())
    let value = try #require(JSONValue.parse(json))
    #expect(value["id"]?.stringValue == "c1")
    #expect(value["object"]?.stringValue == "chat.completion")
    #expect(value["model"]?.stringValue == "m")
    #expect(value["created"]?.intValue == 7)
    let choice = try #require(value["choices"]?.arrayValue?.first)
    #expect(choice["message"]?["content"]?.stringValue == "Hello \"there\", héllo")
    #expect(choice["message"]?["role"]?.stringValue == "assistant")
    #expect(choice["finish_reason"]?.stringValue == "length")
    #expect(value["usage"]?["completion_tokens"]?.intValue == 4)
    // And it replays as a stream with the same content.
    let replay = try #require(OpenAIStreamEncoder.eventStream(fromCompletion: json))
    #expect(
      String(decoding: replay, as: UTF8.self).contains(#""content":"Hello \"there\", héllo""#))
  }

  @Test func aTextCompletionStream_keepsItsShape() throws {
    let stream =
      #"data: {"id":"t","object":"text_completion","model":"m","choices":[{"index":0,"text":"4","finish_reason":null}]}"#
      + "\n\n"
      + #"data: {"id":"t","object":"text_completion","model":"m","choices":[{"index":0,"text":"2","finish_reason":"stop"}]}"#
      + "\n\ndata: [DONE]\n\n"
    let json = try #require(assemble(stream, chunkSize: 5).completion())
    let value = try #require(JSONValue.parse(json))
    #expect(value["object"]?.stringValue == "text_completion")
    #expect(value["choices"]?.arrayValue?.first?["text"]?.stringValue == "42")
  }

  @Test(arguments: [
    ("no [DONE]", String(chatStream.dropLast("data: [DONE]\n\n".count))),
    ("no finish reason", chatStream.replacingOccurrences(of: #""length""#, with: "null")),
    (
      "an error event",
      chatStream.replacingOccurrences(
        of: "data: [DONE]", with: #"data: {"error":{"message":"overloaded"}}"# + "\n\ndata: [DONE]")
    ),
    (
      "a tool call",
      chatStream.replacingOccurrences(
        of: #"{"content":", héllo"}"#, with: #"{"tool_calls":[{"index":0,"id":"x"}]}"#)
    ),
    (
      "no content",
      chatStream.replacingOccurrences(of: #"Hello \"there\""#, with: "")
        .replacingOccurrences(of: ", héllo", with: "")
    ),
    ("not an event stream", "<html>502 Bad Gateway</html>"),
  ])
  func aStreamThatCannotBeReplayed_givesNoAnswer(reason: String, stream: String) {
    #expect(assemble(stream, chunkSize: 9).completion() == nil, "\(reason)")
  }

  @Test func contentPastTheLimit_isDroppedAndReportedAsOverflow() {
    let assembler = assemble(Self.chatStream, chunkSize: 20, limit: 10)
    #expect(assembler.overflowed)
    #expect(assembler.completion() == nil)
    #expect(!assemble(Self.chatStream, chunkSize: 20, limit: 40).overflowed)
  }
}
