/// Turns a backend's chat-completions answer into the client's API (Responses or Messages):
/// a whole JSON answer or error at once, or an event stream chunk by chunk as it passes
/// (chunk boundaries may fall anywhere; what an event does not complete waits for the next
/// chunk). One per translated exchange, confined to its stream's thread.
///
/// What it keeps is bounded: an event larger than `maxEventBytes`, or (Responses, whose closing
/// events repeat the whole text) a text longer than `maxAnswerBytes`, ends the client's stream
/// with the API's error event (`limitExceeded` says which); the rest of the backend's stream is
/// dropped.
struct ChatResponseTranslator: Sendable {
  /// The client's API.
  let api: OpenAIRequest.Endpoint
  /// The model the router sent the request to (for answers that do not name one).
  let model: String
  /// The most text a Responses stream may repeat in its closing events.
  let maxAnswerBytes: Int
  private var parser: ServerSentEventParser
  private var writer: APIEventWriter?
  private var finished = false
  private var finishReason: String?
  private var inputTokens: Int?
  private var outputTokens: Int?
  private var textBytes = 0
  /// The bound that ended the translation, if one did.
  private(set) var limitExceeded: ResponseLimit?

  init(
    api: OpenAIRequest.Endpoint, model: String,
    maxEventBytes: Int = ServerSentEventParser.defaultMaxEventBytes,
    maxAnswerBytes: Int = RouterConfiguration.defaultMaxTranslatedAnswerBytes
  ) {
    self.api = api
    self.model = model
    self.maxAnswerBytes = maxAnswerBytes
    parser = ServerSentEventParser(maxEventBytes: maxEventBytes)
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
    guard !finished else { return [] }
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
      if api == .responses {
        textBytes += part.text.utf8.count
        if textBytes > maxAnswerBytes {
          output += fail(.translatedAnswer, bytes: maxAnswerBytes)
          continue
        }
      }
      output += writer?.delta(part.text) ?? []
      if let reason = part.finishReason { finishReason = reason }
      if let tokens = part.promptTokens { inputTokens = tokens }
      if let tokens = part.completionTokens { outputTokens = tokens }
    }
    if parser.limitExceeded, !finished {
      output += fail(.sseEvent, bytes: parser.maxEventBytes)
    }
    if endOfStream, !finished {
      output += start(nil)
      output += finish()
    }
    return output
  }

  /// The error event that ends the client's stream when `limit` was passed.
  private mutating func fail(_ limit: ResponseLimit, bytes: Int) -> [UInt8] {
    limitExceeded = limit
    finished = true
    let what =
      limit == .sseEvent
      ? "an event of the backend's stream was larger than" : "the answer's text passed"
    let message =
      "The router stopped translating this answer: \(what) \(limit.configKey) (\(bytes) bytes)."
    return start(nil) + (writer?.failed(message: message) ?? [])
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
