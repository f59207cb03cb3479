/// Writes answers in the OpenAI Responses API's shapes: the response object, and the event
/// stream (`response.created` … `response.output_text.delta` … `response.completed`), as the
/// API reference describes them and the official `openai` client parses them. Also reads a
/// response object back into a `GeneratedAnswer` (to replay a cached answer as a stream).
enum ResponsesAPIEncoder {
  typealias Member = JSONValue.Member

  /// The response object of a finished answer.
  static func json(_ answer: GeneratedAnswer) -> [UInt8] {
    response(answer, status: status(answer.finishReason), text: answer.text, done: true)
      .serialized
  }

  /// A response object: `in_progress` with no output yet, or finished with the text.
  static func response(
    _ answer: GeneratedAnswer, status: String, text: String, done: Bool
  ) -> JSONValue {
    var members: [Member] = [
      Member("id", .string(responseID(answer.id))),
      Member("object", .string("response")),
      Member("created_at", .int(answer.created)),
      Member("status", .string(status)),
      Member("model", .string(answer.model)),
      Member("output", .array(done ? [messageItem(answer, text: text, status: "completed")] : [])),
      Member("error", .null),
      Member(
        "incomplete_details",
        status == "incomplete"
          ? .object([Member("reason", .string(incompleteReason(answer.finishReason)))]) : .null),
      Member("instructions", .null),
      Member("metadata", .object([])),
      Member("parallel_tool_calls", .bool(true)),
      Member("tool_choice", .string("auto")),
      Member("tools", .array([])),
      Member("store", .bool(false)),
      Member("text", .object([Member("format", .object([Member("type", .string("text"))]))])),
    ]
    if done {
      members.append(Member("usage", usage(answer)))
    } else {
      members.append(Member("usage", .null))
    }
    return .object(members)
  }

  /// The error body of a failed request, in OpenAI's error shape.
  static func errorJSON(status: Int, message: String) -> [UInt8] {
    OpenAIErrorBody.make(
      message: message, type: status >= 500 ? "server_error" : "invalid_request_error",
      code: nil)
  }

  /// Reads a response object (as this encoder or a backend wrote it); nil when it is not one.
  static func answer(from value: JSONValue) -> GeneratedAnswer? {
    guard value["object"]?.stringValue == "response" else { return nil }
    var text = ""
    for item in value["output"]?.arrayValue ?? [] where item["type"]?.stringValue == "message" {
      for part in item["content"]?.arrayValue ?? []
      where part["type"]?.stringValue == "output_text" {
        text += part["text"]?.stringValue ?? ""
      }
    }
    let finish =
      value["status"]?.stringValue == "incomplete"
      ? (value["incomplete_details"]?["reason"]?.stringValue == "content_filter"
        ? "content_filter" : "length") : "stop"
    var id = value["id"]?.stringValue ?? "cached"
    if id.hasPrefix("resp_") { id.removeFirst(5) }
    return GeneratedAnswer(
      id: id, model: value["model"]?.stringValue ?? "",
      created: value["created_at"]?.intValue ?? 0, text: text, finishReason: finish,
      inputTokens: value["usage"]?["input_tokens"]?.intValue,
      outputTokens: value["usage"]?["output_tokens"]?.intValue)
  }

  // MARK: - Event stream

  /// Writes the events of one streamed answer, in order, numbering them.
  struct EventWriter: Sendable {
    private var sequence = 0
    private var answer: GeneratedAnswer
    private var text = ""

    init(_ answer: GeneratedAnswer) {
      self.answer = answer
    }

    /// `response.created`, `response.in_progress`, the message item and its text part added.
    mutating func start() -> [UInt8] {
      var output: [UInt8] = []
      let inProgress = response(answer, status: "in_progress", text: "", done: false)
      event("response.created", [Member("response", inProgress)], to: &output)
      event("response.in_progress", [Member("response", inProgress)], to: &output)
      event(
        "response.output_item.added",
        [
          Member("output_index", .int(0)),
          Member("item", messageItem(answer, text: nil, status: "in_progress")),
        ], to: &output)
      event(
        "response.content_part.added",
        partLocation + [Member("part", textPart(""))], to: &output)
      return output
    }

    /// `response.output_text.delta` for `delta` (nothing when it is empty).
    mutating func delta(_ delta: String) -> [UInt8] {
      guard !delta.isEmpty else { return [] }
      text += delta
      var output: [UInt8] = []
      event(
        "response.output_text.delta",
        partLocation + [Member("delta", .string(delta)), Member("logprobs", .array([]))],
        to: &output)
      return output
    }

    /// The closing events, ending with `response.completed` (or `response.incomplete` when
    /// the answer was cut at its token limit) with the usage.
    mutating func finish(
      finishReason: String?, inputTokens: Int?, outputTokens: Int?
    ) -> [UInt8] {
      answer.finishReason = finishReason
      answer.inputTokens = inputTokens
      answer.outputTokens = outputTokens
      answer.text = text
      var output: [UInt8] = []
      event(
        "response.output_text.done",
        partLocation + [Member("text", .string(text)), Member("logprobs", .array([]))],
        to: &output)
      event(
        "response.content_part.done", partLocation + [Member("part", textPart(text))],
        to: &output)
      event(
        "response.output_item.done",
        [
          Member("output_index", .int(0)),
          Member("item", messageItem(answer, text: text, status: "completed")),
        ], to: &output)
      let status = ResponsesAPIEncoder.status(finishReason)
      event(
        status == "completed" ? "response.completed" : "response.incomplete",
        [Member("response", response(answer, status: status, text: text, done: true))],
        to: &output)
      return output
    }

    /// `response.failed` with the error, for a stream the backend broke off with one.
    mutating func failed(message: String) -> [UInt8] {
      var failed = response(answer, status: "failed", text: text, done: false)
      if case .object(var members) = failed {
        if let index = members.firstIndex(where: { $0.key == "error" }) {
          members[index].value = .object([
            Member("code", .string("server_error")), Member("message", .string(message)),
          ])
        }
        failed = .object(members)
      }
      var output: [UInt8] = []
      event("response.failed", [Member("response", failed)], to: &output)
      return output
    }

    private var partLocation: [Member] {
      [
        Member("item_id", .string(messageID(answer.id))), Member("output_index", .int(0)),
        Member("content_index", .int(0)),
      ]
    }

    private mutating func event(_ type: String, _ members: [Member], to output: inout [UInt8]) {
      let data = JSONValue.object(
        [Member("type", .string(type)), Member("sequence_number", .int(sequence))] + members)
      sequence += 1
      ServerSentEventWriter.append(event: type, data: data, to: &output)
    }
  }

  // MARK: - Pieces

  private static func responseID(_ id: String) -> String { "resp_" + id }
  private static func messageID(_ id: String) -> String { "msg_" + id }

  private static func messageItem(
    _ answer: GeneratedAnswer, text: String?, status: String
  ) -> JSONValue {
    .object([
      Member("id", .string(messageID(answer.id))), Member("type", .string("message")),
      Member("status", .string(status)), Member("role", .string("assistant")),
      Member("content", .array(text.map { [textPart($0)] } ?? [])),
    ])
  }

  private static func textPart(_ text: String) -> JSONValue {
    .object([
      Member("type", .string("output_text")), Member("text", .string(text)),
      Member("annotations", .array([])), Member("logprobs", .array([])),
    ])
  }

  private static func usage(_ answer: GeneratedAnswer) -> JSONValue {
    let input = answer.inputTokens ?? 0
    let output = answer.outputTokens ?? 0
    return .object([
      Member("input_tokens", .int(input)),
      Member("input_tokens_details", .object([Member("cached_tokens", .int(0))])),
      Member("output_tokens", .int(output)),
      Member("output_tokens_details", .object([Member("reasoning_tokens", .int(0))])),
      Member("total_tokens", .int(input + output)),
    ])
  }

  /// `completed`, or `incomplete` for an answer cut at its token limit or by a filter.
  private static func status(_ finishReason: String?) -> String {
    finishReason == "length" || finishReason == "content_filter" ? "incomplete" : "completed"
  }

  private static func incompleteReason(_ finishReason: String?) -> String {
    finishReason == "content_filter" ? "content_filter" : "max_output_tokens"
  }
}
