/// The parts of an OpenAI chat-completions or completions request body the router needs.
///
/// Parsed in one pass over the raw bytes (`parse(_:endpoint:)`); the raw body itself is kept by
/// the caller and only the `model` value is ever rewritten (`rewritingModel`).
public struct OpenAIRequest: Sendable, Equatable {
  /// Which API the body is for.
  public enum Endpoint: Sendable, Equatable {
    /// `POST /v1/chat/completions`: `messages` is required.
    case chatCompletions
    /// `POST /v1/completions`: `prompt` is required.
    case completions
  }

  /// One chat message with its text (content parts of type `text` joined by newlines).
  public struct Message: Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
      self.role = role
      self.content = content
    }
  }

  /// One text value of the prompt as the body writes it: the byte range of the JSON string
  /// (quotes included), its decoded text, and the index of its message (nil for `prompt`).
  /// The request guards scan these and rewrite them in place.
  public struct TextValue: Sendable, Equatable {
    public var range: Range<Int>
    public var text: String
    public var message: Int?

    public init(range: Range<Int>, text: String, message: Int?) {
      self.range = range
      self.text = text
      self.message = message
    }
  }

  public var endpoint: Endpoint
  /// The `model` value.
  public var model: String
  /// Byte range of the top-level `model` value in the body, quotes included (the last one when
  /// the key repeats, as JSON parsers that keep the last value see it).
  public var modelValueRange: Range<Int>
  /// `messages` (chat completions; empty for completions).
  public var messages: [Message]
  /// `prompt` (completions): a string, or an array of strings joined by newlines.
  public var prompt: String?
  /// `stream`: the client wants server-sent events.
  public var stream: Bool
  /// Every message content string, text part and prompt string, in body order.
  public var textValues: [TextValue]

  public init(
    endpoint: Endpoint, model: String, modelValueRange: Range<Int>, messages: [Message] = [],
    prompt: String? = nil, stream: Bool = false, textValues: [TextValue] = []
  ) {
    self.endpoint = endpoint
    self.model = model
    self.modelValueRange = modelValueRange
    self.messages = messages
    self.prompt = prompt
    self.stream = stream
    self.textValues = textValues
  }

  /// The text to classify: the last user message (or the prompt), and the system prompt as
  /// context, when there is one.
  public var query: (text: String, context: String?) {
    if endpoint == .completions {
      return (prompt ?? "", nil)
    }
    let text = messages.last { $0.role == "user" }?.content ?? messages.last?.content ?? ""
    let system = messages.first { $0.role == "system" || $0.role == "developer" }?.content
    return (text, system)
  }

  /// `body` with the `model` value replaced by `newModel` (JSON-encoded); every other byte is
  /// kept as it was. The caller updates `content-length`.
  public func rewritingModel(in body: [UInt8], to newModel: String) -> [UInt8] {
    var result: [UInt8] = []
    result.reserveCapacity(body.count + newModel.utf8.count)
    result.append(contentsOf: body[..<modelValueRange.lowerBound])
    JSONWriter.appendString(newModel, to: &result)
    result.append(contentsOf: body[modelValueRange.upperBound...])
    return result
  }
}
