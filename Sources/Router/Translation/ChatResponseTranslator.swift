/// Turns a backend's chat-completions answer into the client's API (Responses or Messages):
/// a whole JSON answer or error at once, or an event stream chunk by chunk as it passes
/// (chunk boundaries may fall anywhere; what an event does not complete waits for the next
/// chunk). One per translated exchange, confined to its stream's thread.
struct ChatResponseTranslator: Sendable {
  /// The client's API.
  let api: OpenAIRequest.Endpoint
  /// The model the router sent the request to (for answers that do not name one).
  let model: String
  private var parser = ServerSentEventParser()
  private var writer: APIEventWriter?
  private var finished = false
  private var finishReason: String?
  private var inputTokens: Int?
  private var outputTokens: Int?

  init(api: OpenAIRequest.Endpoint, model: String) {
    self.api = api
    self.model = model
  }

  /// A whole answer with its HTTP status: a completion becomes the client API's answer, an
  /// error its error shape (same status).
  func translate(status: Int, body: [UInt8]) -> [UInt8] {
    let value = JSONValue.parse(body)
    if (200..<300).contains(status), let value {
      let part = ChatAnswerPart(value)
      if part.errorMessage == nil {
        let answer = GeneratedAnswer(
          id: part.id ?? "translated", model: part.model ?? model, created: part.created ?? 0,
          text: part.text, finishReason: part.finishReason, inputTokens: part.promptTokens,
          outputTokens: part.completionTokens)
        return api == .messages
          ? MessagesAPIEncoder.json(answer) : ResponsesAPIEncoder.json(answer)
      }
    }
    let message = ChatAnswerPart.errorMessage(status: status, body: body)
    return api == .messages
      ? MessagesAPIEncoder.errorJSON(status: status, message: message)
      : ResponsesAPIEncoder.errorJSON(status: status, message: message)
  }

  /// The client API's events for one chunk of a chat-completions event stream; at the end of
  /// the stream, the closing events even when the backend sent no `[DONE]`.
  mutating func translate(chunk: [UInt8], endOfStream: Bool) -> [UInt8] {
    var output: [UInt8] = []
    var events: [ServerSentEventParser.Event] = []
    parser.feed(chunk) { events.append($0) }
    for event in events where !finished {
      if event.data.elementsEqual("[DONE]".utf8) {
        output += start(nil)
        output += finish()
        continue
      }
      guard let value = JSONValue.parse(event.data) else { continue }
      let part = ChatAnswerPart(value)
      output += start(part)
      if let message = part.errorMessage {
        output += writer?.failed(message: message) ?? []
        finished = true
        continue
      }
      output += writer?.delta(part.text) ?? []
      if let reason = part.finishReason { finishReason = reason }
      if let tokens = part.promptTokens { inputTokens = tokens }
      if let tokens = part.completionTokens { outputTokens = tokens }
    }
    if endOfStream, !finished {
      output += start(nil)
      output += finish()
    }
    return output
  }

  /// The opening events, once, named after the first chunk.
  private mutating func start(_ part: ChatAnswerPart?) -> [UInt8] {
    guard writer == nil else { return [] }
    let answer = GeneratedAnswer(
      id: part?.id ?? "translated", model: part?.model ?? model, created: part?.created ?? 0,
      text: "")
    writer = APIEventWriter(api: api, answer: answer)
    return writer?.start() ?? []
  }

  private mutating func finish() -> [UInt8] {
    finished = true
    return writer?.finish(
      finishReason: finishReason, inputTokens: inputTokens, outputTokens: outputTokens) ?? []
  }
}
