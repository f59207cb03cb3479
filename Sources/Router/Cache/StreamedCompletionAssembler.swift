/// Assembles the event stream of a chat completion (or text completion) answered with
/// `stream: true` into the JSON answer the same request would have had without it, so the
/// cache can store a streamed answer and replay it as JSON or as a stream
/// (`CachePhase.answer`).
///
/// Kept per choice: the content deltas joined, the finish reason; per stream: the id, model,
/// creation time and the usage of the chunk that carried one. A stream that cannot be replayed
/// faithfully gives no answer: one not ended by `data: [DONE]`, a choice without a finish
/// reason, an error event, tool or function call deltas (not replayed by the encoder),
/// content beyond `maxContentBytes` (then no more is kept, and `overflowed` says why), or an
/// event past the parser's `max_sse_event_bytes` (the parser stops, so `[DONE]` is never seen).
struct StreamedCompletionAssembler {
  private struct Choice {
    var content: [UInt8] = []
    var finishReason: String?
  }

  /// The most content bytes kept (the cache's `max_answer_bytes`).
  let maxContentBytes: Int
  private var parser: ServerSentEventParser
  private var id: String?
  private var model: String?
  private var created: Int?
  private var isChat = true
  private var usage: JSONValue?
  /// By choice index, in the order first seen.
  private var choices: [(index: Int, choice: Choice)] = []
  private var contentBytes = 0
  private var sawDone = false
  private var unusable = false
  /// Content went past `maxContentBytes`.
  private(set) var overflowed = false

  init(
    maxContentBytes: Int, maxEventBytes: Int = ServerSentEventParser.defaultMaxEventBytes
  ) {
    self.maxContentBytes = maxContentBytes
    parser = ServerSentEventParser(maxEventBytes: maxEventBytes)
  }

  /// Reads one body chunk (chunk boundaries may fall anywhere).
  mutating func feed(_ chunk: [UInt8]) {
    guard !unusable else { return }
    var events: [ServerSentEventParser.Event] = []
    parser.feed(chunk) { events.append($0) }
    for event in events { handle(event.data) }
    if parser.limitExceeded { unusable = true }
  }

  /// The assembled completion JSON, nil when the stream cannot be replayed (see above).
  func completion() -> [UInt8]? {
    guard sawDone, !unusable, !choices.isEmpty,
      choices.allSatisfy({ $0.choice.finishReason != nil }),
      choices.contains(where: { !$0.choice.content.isEmpty })
    else { return nil }
    var members: [JSONValue.Member] = [
      .init("id", .string(id ?? "cached")),
      .init("object", .string(isChat ? "chat.completion" : "text_completion")),
      .init("created", .int(created ?? 0)),
      .init("model", .string(model ?? "")),
      .init("choices", .array(choices.map(json))),
    ]
    if let usage { members.append(.init("usage", usage)) }
    return JSONValue.object(members).serialized
  }

  /// A choice as a chat completion (`message`) or a text completion (`text`) has it.
  private func json(_ entry: (index: Int, choice: Choice)) -> JSONValue {
    let content = JSONValue.string(String(decoding: entry.choice.content, as: UTF8.self))
    let output: JSONValue.Member =
      isChat
      ? .init("message", .object([.init("role", .string("assistant")), .init("content", content)]))
      : .init("text", content)
    return .object([
      .init("index", .int(entry.index)), output,
      .init("finish_reason", .string(entry.choice.finishReason ?? "stop")),
    ])
  }

  private mutating func handle(_ data: [UInt8]) {
    if data.elementsEqual("[DONE]".utf8) {
      sawDone = true
      return
    }
    guard !sawDone, let chunk = JSONValue.parse(data), chunk["error"] == nil else {
      unusable = true
      return
    }
    if let value = chunk["id"]?.stringValue { id = value }
    if let value = chunk["model"]?.stringValue { model = value }
    if let value = chunk["created"]?.intValue { created = value }
    if chunk["object"]?.stringValue?.hasPrefix("text_completion") == true { isChat = false }
    if let value = chunk["usage"], value != .null { usage = value }
    for choice in chunk["choices"]?.arrayValue ?? [] { handle(choice: choice) }
  }

  private mutating func handle(choice: JSONValue) {
    let delta = choice["delta"]
    if delta?["tool_calls"] != nil || delta?["function_call"] != nil {
      unusable = true
      return
    }
    let index = choice["index"]?.intValue ?? 0
    let position =
      choices.firstIndex { $0.index == index }
      ?? {
        choices.append((index, Choice()))
        return choices.count - 1
      }()
    if let reason = choice["finish_reason"]?.stringValue {
      choices[position].choice.finishReason = reason
    }
    guard let text = delta?["content"]?.stringValue ?? choice["text"]?.stringValue,
      !text.isEmpty, !overflowed
    else { return }
    contentBytes += text.utf8.count
    if contentBytes > maxContentBytes {
      overflowed = true
      unusable = true
      choices.removeAll()
      return
    }
    choices[position].choice.content.append(contentsOf: text.utf8)
  }
}
