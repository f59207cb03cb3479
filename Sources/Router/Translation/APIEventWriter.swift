/// The event stream of one answer in the client's API (Responses or Messages), written as the
/// answer's text arrives: `start`, `delta` for each piece of text, then `finish` or `failed`.
enum APIEventWriter: Sendable {
  case responses(ResponsesAPIEncoder.EventWriter)
  case messages(MessagesAPIEncoder.EventWriter)

  /// A writer for `api`; nil for the chat APIs, which need no translation.
  init?(api: OpenAIRequest.Endpoint, answer: GeneratedAnswer) {
    switch api {
    case .responses: self = .responses(ResponsesAPIEncoder.EventWriter(answer))
    case .messages: self = .messages(MessagesAPIEncoder.EventWriter(answer))
    case .chatCompletions, .completions: return nil
    }
  }

  /// The whole event stream of a finished answer (a cached one, replayed).
  static func events(api: OpenAIRequest.Endpoint, answer: GeneratedAnswer) -> [UInt8]? {
    guard var writer = APIEventWriter(api: api, answer: answer) else { return nil }
    return writer.start() + writer.delta(answer.text)
      + writer.finish(
        finishReason: answer.finishReason, inputTokens: answer.inputTokens,
        outputTokens: answer.outputTokens)
  }

  mutating func start() -> [UInt8] {
    switch self {
    case .responses(var writer):
      defer { self = .responses(writer) }
      return writer.start()
    case .messages(let writer):
      return writer.start()
    }
  }

  mutating func delta(_ text: String) -> [UInt8] {
    switch self {
    case .responses(var writer):
      defer { self = .responses(writer) }
      return writer.delta(text)
    case .messages(let writer):
      return writer.delta(text)
    }
  }

  mutating func finish(finishReason: String?, inputTokens: Int?, outputTokens: Int?) -> [UInt8] {
    switch self {
    case .responses(var writer):
      defer { self = .responses(writer) }
      return writer.finish(
        finishReason: finishReason, inputTokens: inputTokens, outputTokens: outputTokens)
    case .messages(let writer):
      return writer.finish(
        finishReason: finishReason, inputTokens: inputTokens, outputTokens: outputTokens)
    }
  }

  mutating func failed(message: String) -> [UInt8] {
    switch self {
    case .responses(var writer):
      defer { self = .responses(writer) }
      return writer.failed(message: message)
    case .messages(let writer):
      return writer.failed(message: message)
    }
  }
}
