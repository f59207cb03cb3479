/// Writes answers in the Anthropic Messages API's shapes: the message object, and the event
/// stream (`message_start`, `content_block_start`, `content_block_delta`…,
/// `content_block_stop`, `message_delta`, `message_stop`), as the API reference describes them
/// and the official `anthropic` client parses them. Also reads a message back into a
/// `GeneratedAnswer` (to replay a cached answer as a stream).
enum MessagesAPIEncoder {
  typealias Member = JSONValue.Member

  /// The message object of a finished answer.
  static func json(_ answer: GeneratedAnswer) -> [UInt8] {
    message(answer, content: [textBlock(answer.text)], stopReason: stopReason(answer.finishReason))
      .serialized
  }

  /// The error body of a failed request, in Anthropic's error shape.
  static func errorJSON(status: Int, message: String) -> [UInt8] {
    AnthropicErrorBody.make(status: status, message: message)
  }

  /// Reads a message object; nil when it is not one.
  static func answer(from value: JSONValue) -> GeneratedAnswer? {
    guard value["type"]?.stringValue == "message" else { return nil }
    var text = ""
    for block in value["content"]?.arrayValue ?? [] where block["type"]?.stringValue == "text" {
      text += block["text"]?.stringValue ?? ""
    }
    var id = value["id"]?.stringValue ?? "cached"
    if id.hasPrefix("msg_") { id.removeFirst(4) }
    let finish = value["stop_reason"]?.stringValue == "max_tokens" ? "length" : "stop"
    return GeneratedAnswer(
      id: id, model: value["model"]?.stringValue ?? "", created: 0, text: text,
      finishReason: finish, inputTokens: value["usage"]?["input_tokens"]?.intValue,
      outputTokens: value["usage"]?["output_tokens"]?.intValue)
  }

  // MARK: - Event stream

  /// Writes the events of one streamed answer, in order. The input token count is known only
  /// at the end of a chat stream, so `message_start` says 0 and `message_delta` carries both
  /// counts.
  struct EventWriter: Sendable {
    private let answer: GeneratedAnswer

    init(_ answer: GeneratedAnswer) {
      self.answer = answer
    }

    /// `message_start` and the text block's `content_block_start`.
    func start() -> [UInt8] {
      var output: [UInt8] = []
      var started = answer
      started.inputTokens = started.inputTokens ?? 0
      started.outputTokens = 0
      event(
        "message_start", [Member("message", message(started, content: [], stopReason: nil))],
        to: &output)
      event(
        "content_block_start", [Member("index", .int(0)), Member("content_block", textBlock(""))],
        to: &output)
      return output
    }

    /// `content_block_delta` with a `text_delta` (nothing when it is empty).
    func delta(_ text: String) -> [UInt8] {
      guard !text.isEmpty else { return [] }
      var output: [UInt8] = []
      event(
        "content_block_delta",
        [
          Member("index", .int(0)),
          Member(
            "delta",
            .object([Member("type", .string("text_delta")), Member("text", .string(text))])),
        ], to: &output)
      return output
    }

    /// `content_block_stop`, `message_delta` with the stop reason and usage, `message_stop`.
    func finish(finishReason: String?, inputTokens: Int?, outputTokens: Int?) -> [UInt8] {
      var output: [UInt8] = []
      event("content_block_stop", [Member("index", .int(0))], to: &output)
      var usage: [Member] = []
      if let inputTokens { usage.append(Member("input_tokens", .int(inputTokens))) }
      usage.append(Member("output_tokens", .int(outputTokens ?? 0)))
      event(
        "message_delta",
        [
          Member(
            "delta",
            .object([
              Member("stop_reason", .string(stopReason(finishReason))),
              Member("stop_sequence", .null),
            ])),
          Member("usage", .object(usage)),
        ], to: &output)
      event("message_stop", [], to: &output)
      return output
    }

    /// An `error` event, for a stream the backend broke off with one.
    func failed(message: String) -> [UInt8] {
      var output: [UInt8] = []
      event(
        "error",
        [
          Member(
            "error",
            .object([Member("type", .string("api_error")), Member("message", .string(message))]))
        ], to: &output)
      return output
    }

    private func event(_ type: String, _ members: [Member], to output: inout [UInt8]) {
      ServerSentEventWriter.append(
        event: type, data: .object([Member("type", .string(type))] + members), to: &output)
    }
  }

  // MARK: - Pieces

  private static func message(
    _ answer: GeneratedAnswer, content: [JSONValue], stopReason: String?
  ) -> JSONValue {
    .object([
      Member("id", .string("msg_" + answer.id)), Member("type", .string("message")),
      Member("role", .string("assistant")), Member("model", .string(answer.model)),
      Member("content", .array(content)),
      Member("stop_reason", stopReason.map { .string($0) } ?? .null),
      Member("stop_sequence", .null),
      Member(
        "usage",
        .object([
          Member("input_tokens", .int(answer.inputTokens ?? 0)),
          Member("output_tokens", .int(answer.outputTokens ?? 0)),
        ])),
    ])
  }

  private static func textBlock(_ text: String) -> JSONValue {
    .object([Member("type", .string("text")), Member("text", .string(text))])
  }

  /// Anthropic's stop reason for a chat-completions finish reason.
  private static func stopReason(_ finishReason: String?) -> String {
    switch finishReason {
    case "length": "max_tokens"
    case "tool_calls": "tool_use"
    default: "end_turn"
    }
  }
}
