/// What the router records from a response body or stream chunk: the model that answered and
/// the token usage (`usage.prompt_tokens`/`completion_tokens` in the chat APIs,
/// `usage.input_tokens`/`output_tokens` in Responses and Messages).
public struct OpenAIResponseSummary: Sendable, Equatable {
  /// The response's `model`.
  public var model: String?
  /// `usage.prompt_tokens`.
  public var promptTokens: Int?
  /// `usage.completion_tokens`.
  public var completionTokens: Int?
  /// Whether any choice carries generated text (`message.content`, `delta.content`, `text`,
  /// `delta.reasoning_content`) or a tool call: in a stream, the first such chunk is the first
  /// token.
  public var hasGeneratedContent: Bool

  public init(
    model: String? = nil, promptTokens: Int? = nil, completionTokens: Int? = nil,
    hasGeneratedContent: Bool = false
  ) {
    self.model = model
    self.promptTokens = promptTokens
    self.completionTokens = completionTokens
    self.hasGeneratedContent = hasGeneratedContent
  }

  /// Reads a JSON response body or stream chunk; nil when it is not a JSON object (the router
  /// passes such bodies through and records nothing).
  public static func parse(_ body: [UInt8]) -> OpenAIResponseSummary? {
    body.withUnsafeBufferPointer { parse(JSONScanner($0)) }
  }

  /// Reads a JSON answer of `api`: a chat completion or completion as `parse(_:)` does, a
  /// Responses response object or a Messages message by their `model`, `usage` and text.
  public static func parse(_ body: [UInt8], api: OpenAIRequest.Endpoint) -> OpenAIResponseSummary?
  {
    switch api {
    case .chatCompletions, .completions:
      return parse(body)
    case .responses, .messages:
      guard let value = JSONValue.parse(body), case .object = value else { return nil }
      guard
        let answer = api == .responses
          ? ResponsesAPIEncoder.answer(from: value) : MessagesAPIEncoder.answer(from: value)
      else {
        return OpenAIResponseSummary(model: value["model"]?.stringValue)
      }
      return OpenAIResponseSummary(
        model: answer.model, promptTokens: answer.inputTokens,
        completionTokens: answer.outputTokens, hasGeneratedContent: !answer.text.isEmpty)
    }
  }

  static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> OpenAIResponseSummary? {
    parse(JSONScanner(bytes))
  }

  private static func parse(_ initial: JSONScanner) -> OpenAIResponseSummary? {
    var scanner = initial
    var summary = OpenAIResponseSummary()
    do {
      guard scanner.peek() == UInt8(ascii: "{") else { return nil }
      if try scanner.beginObject() {
        repeat {
          let key = try scanner.readKey()
          if scanner.key(key, is: "model"), let model = try scanner.readStringIfPresent() {
            summary.model = model
          } else if scanner.key(key, is: "usage"), scanner.peek() == UInt8(ascii: "{") {
            try readUsage(&scanner, into: &summary)
          } else if scanner.key(key, is: "choices"), scanner.peek() == UInt8(ascii: "[") {
            summary.hasGeneratedContent = try readChoices(&scanner)
          } else {
            try scanner.skipValue(depth: 1)
          }
        } while try scanner.nextOrEnd(UInt8(ascii: "}"))
      }
      try scanner.expectEnd()
    } catch {
      return nil
    }
    return summary
  }

  private static func readUsage(
    _ scanner: inout JSONScanner, into summary: inout OpenAIResponseSummary
  ) throws(JSONScanner.SyntaxError) {
    guard try scanner.beginObject() else { return }
    repeat {
      let key = try scanner.readKey()
      if scanner.key(key, is: "prompt_tokens"), let value = try scanner.readIntegerIfPresent() {
        summary.promptTokens = value
      } else if scanner.key(key, is: "completion_tokens"),
        let value = try scanner.readIntegerIfPresent()
      {
        summary.completionTokens = value
      } else {
        try scanner.skipValue(depth: 2)
      }
    } while try scanner.nextOrEnd(UInt8(ascii: "}"))
  }

  /// Whether any choice has generated content.
  private static func readChoices(_ scanner: inout JSONScanner) throws(JSONScanner.SyntaxError)
    -> Bool
  {
    var found = false
    guard try scanner.beginArray() else { return false }
    repeat {
      guard scanner.peek() == UInt8(ascii: "{") else {
        try scanner.skipValue(depth: 2)
        continue
      }
      guard try scanner.beginObject() else { continue }
      repeat {
        let key = try scanner.readKey()
        if scanner.key(key, is: "text") {
          found = try hasText(&scanner) || found
        } else if scanner.key(key, is: "delta") || scanner.key(key, is: "message"),
          scanner.peek() == UInt8(ascii: "{")
        {
          found = try messageHasContent(&scanner) || found
        } else {
          try scanner.skipValue(depth: 3)
        }
      } while try scanner.nextOrEnd(UInt8(ascii: "}"))
    } while try scanner.nextOrEnd(UInt8(ascii: "]"))
    return found
  }

  private static func messageHasContent(_ scanner: inout JSONScanner)
    throws(JSONScanner.SyntaxError) -> Bool
  {
    var found = false
    guard try scanner.beginObject() else { return false }
    repeat {
      let key = try scanner.readKey()
      if scanner.key(key, is: "content") || scanner.key(key, is: "reasoning_content") {
        found = try hasText(&scanner) || found
      } else if scanner.key(key, is: "tool_calls"), scanner.peek() == UInt8(ascii: "[") {
        var probe = scanner
        found = try probe.beginArray() || found
        try scanner.skipValue(depth: 4)
      } else {
        try scanner.skipValue(depth: 4)
      }
    } while try scanner.nextOrEnd(UInt8(ascii: "}"))
    return found
  }

  /// Consumes a value; true when it is a non-empty string.
  private static func hasText(_ scanner: inout JSONScanner) throws(JSONScanner.SyntaxError)
    -> Bool
  {
    guard scanner.peek() == UInt8(ascii: "\"") else {
      try scanner.skipValue(depth: 4)
      return false
    }
    let start = scanner.index
    try scanner.skipString()
    return scanner.index - start > 2
  }
}
