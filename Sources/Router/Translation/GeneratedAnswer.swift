/// One generated answer in the terms every API shares: what a translation reads from a
/// chat-completions answer and writes as a Responses or Messages answer, and what a cached
/// Responses or Messages answer is replayed from.
struct GeneratedAnswer: Sendable, Equatable {
  /// The backend's id of the answer (the chat completion's `id`).
  var id: String
  var model: String
  /// Unix seconds.
  var created: Int
  /// The generated text (choice 0).
  var text: String
  /// The chat-completions finish reason: `stop`, `length`, `tool_calls`, `content_filter`.
  var finishReason: String?
  var inputTokens: Int?
  var outputTokens: Int?

  init(
    id: String, model: String, created: Int, text: String, finishReason: String? = nil,
    inputTokens: Int? = nil, outputTokens: Int? = nil
  ) {
    self.id = id
    self.model = model
    self.created = created
    self.text = text
    self.finishReason = finishReason
    self.inputTokens = inputTokens
    self.outputTokens = outputTokens
  }
}

/// What one chat-completions answer or stream chunk says, as a translation reads it.
struct ChatAnswerPart: Sendable, Equatable {
  var id: String?
  var model: String?
  var created: Int?
  /// Choice 0's `message.content` or `delta.content` (empty when absent).
  var text = ""
  var finishReason: String?
  var promptTokens: Int?
  var completionTokens: Int?
  /// The error message, when the body is an error (OpenAI's `{"error":{…}}` or vLLM's
  /// `{"object":"error",…}`).
  var errorMessage: String?

  /// Reads a parsed answer or chunk.
  init(_ value: JSONValue) {
    if let error = value["error"], case .object = error {
      errorMessage = error["message"]?.stringValue ?? "upstream error"
      return
    }
    if value["object"]?.stringValue == "error" {
      errorMessage = value["message"]?.stringValue ?? "upstream error"
      return
    }
    id = value["id"]?.stringValue
    model = value["model"]?.stringValue
    created = value["created"]?.intValue
    if let choice = value["choices"]?.arrayValue?.first {
      let message = choice["message"] ?? choice["delta"]
      text = message?["content"]?.stringValue ?? choice["text"]?.stringValue ?? ""
      finishReason = choice["finish_reason"]?.stringValue
    }
    if let usage = value["usage"] {
      promptTokens = usage["prompt_tokens"]?.intValue
      completionTokens = usage["completion_tokens"]?.intValue
    }
  }

  /// The message of an error body that is not JSON or not an error object.
  static func errorMessage(status: Int, body: [UInt8]) -> String {
    if let value = JSONValue.parse(body), let message = ChatAnswerPart(value).errorMessage {
      return message
    }
    let text = String(decoding: body.prefix(512), as: UTF8.self)
    return text.isEmpty ? "upstream answered HTTP \(status)" : text
  }
}
