/// Watches an OpenAI streaming response (`text/event-stream`) pass through, chunk by chunk,
/// without changing it: finds the first generated token, the `[DONE]` marker, the model and the
/// usage of the final chunk.
public struct OpenAIStreamObserver: Sendable {
  private var parser = ServerSentEventParser()
  /// A chunk with generated content has been seen.
  public private(set) var sawFirstToken = false
  /// `data: [DONE]` has been seen.
  public private(set) var sawDone = false
  /// The model of the chunks and the usage of the last chunk that carried one.
  public private(set) var summary = OpenAIResponseSummary()
  /// Number of data events seen (`[DONE]` included).
  public private(set) var eventCount = 0

  public init() {}

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
