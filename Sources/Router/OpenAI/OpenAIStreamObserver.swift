/// Watches a streaming response (`text/event-stream`) pass through, chunk by chunk, without
/// changing it: finds the first generated token, the end of the stream, the model and the usage.
///
/// Chat completions and completions: the first chunk with content, `data: [DONE]`, the usage
/// of the final chunk. Responses: the first non-empty `response.output_text.delta`, and the
/// model and usage of `response.completed` (or `response.incomplete`). Messages: the model and
/// input tokens of `message_start`, the first non-empty `content_block_delta`, the output
/// tokens of `message_delta`, and `message_stop`.
///
/// An event larger than `maxEventBytes` ends the watching (`limitExceeded`): the bytes still
/// pass, but what comes after it (usage, the end marker) is not seen.
public struct OpenAIStreamObserver: Sendable {
  /// The API of the stream.
  public let api: OpenAIRequest.Endpoint
  private var parser: ServerSentEventParser
  /// A chunk with generated content has been seen.
  public private(set) var sawFirstToken = false
  /// The stream's end marker (`data: [DONE]`, `response.completed`, `message_stop`) has been
  /// seen.
  public private(set) var sawDone = false
  /// The model of the chunks and the usage of the last chunk that carried one.
  public private(set) var summary = OpenAIResponseSummary()
  /// Number of data events seen (`[DONE]` included).
  public private(set) var eventCount = 0

  /// A line or an event of the stream was larger than `maxEventBytes`: the observer stopped.
  public var limitExceeded: Bool { parser.limitExceeded }

  public init(
    api: OpenAIRequest.Endpoint = .chatCompletions,
    maxEventBytes: Int = ServerSentEventParser.defaultMaxEventBytes
  ) {
    self.api = api
    parser = ServerSentEventParser(maxEventBytes: maxEventBytes)
  }

  /// Observes one body chunk; returns true when it carried the first generated token.
  @discardableResult
  public mutating func observe(_ chunk: [UInt8]) -> Bool {
    let before = sawFirstToken
    var events: [ServerSentEventParser.Event] = []
    parser.feed(chunk) { events.append($0) }
    for event in events { handle(event) }
    return !before && sawFirstToken
  }

  private mutating func handle(_ event: ServerSentEventParser.Event) {
    eventCount += 1
    switch api {
    case .chatCompletions, .completions: handleChat(event)
    case .responses: handleResponses(event)
    case .messages: handleMessages(event)
    }
  }

  private mutating func handleResponses(_ event: ServerSentEventParser.Event) {
    guard let value = JSONValue.parse(event.data), let type = value["type"]?.stringValue else {
      return
    }
    switch type {
    case "response.output_text.delta":
      if value["delta"]?.stringValue?.isEmpty == false { noteFirstToken() }
    case "response.completed", "response.incomplete", "response.failed":
      sawDone = true
      guard let response = value["response"] else { return }
      if let model = response["model"]?.stringValue { summary.model = model }
      if let usage = response["usage"] {
        summary.promptTokens = usage["input_tokens"]?.intValue
        summary.completionTokens = usage["output_tokens"]?.intValue
      }
    default:
      return
    }
  }

  private mutating func handleMessages(_ event: ServerSentEventParser.Event) {
    guard let value = JSONValue.parse(event.data), let type = value["type"]?.stringValue else {
      return
    }
    switch type {
    case "message_start":
      if let model = value["message"]?["model"]?.stringValue { summary.model = model }
      if let tokens = value["message"]?["usage"]?["input_tokens"]?.intValue {
        summary.promptTokens = tokens
      }
    case "content_block_delta":
      let delta = value["delta"]
      if delta?["text"]?.stringValue?.isEmpty == false
        || delta?["partial_json"]?.stringValue?.isEmpty == false
      {
        noteFirstToken()
      }
    case "message_delta":
      if let tokens = value["usage"]?["output_tokens"]?.intValue {
        summary.completionTokens = tokens
      }
      if let tokens = value["usage"]?["input_tokens"]?.intValue, tokens > 0 {
        summary.promptTokens = tokens
      }
    case "message_stop":
      sawDone = true
    default:
      return
    }
  }

  private mutating func noteFirstToken() {
    sawFirstToken = true
    summary.hasGeneratedContent = true
  }

  private mutating func handleChat(_ event: ServerSentEventParser.Event) {
    if event.data.elementsEqual("[DONE]".utf8) {
      sawDone = true
      return
    }
    guard let chunk = OpenAIResponseSummary.parse(event.data) else { return }
    if let model = chunk.model { summary.model = model }
    if chunk.promptTokens != nil || chunk.completionTokens != nil {
      summary.promptTokens = chunk.promptTokens
      summary.completionTokens = chunk.completionTokens
    }
    if chunk.hasGeneratedContent {
      sawFirstToken = true
      summary.hasGeneratedContent = true
    }
  }
}
