/// The parts of a request body the router needs, for every API it routes: OpenAI chat
/// completions, completions and Responses, and the Anthropic Messages API.
///
/// Parsed in one pass over the raw bytes (`parse(_:endpoint:)`); the raw body itself is kept by
/// the caller and only the `model` value is ever rewritten (`rewritingModel`), unless the body
/// is translated to chat completions for a backend that does not serve its API
/// (`ChatCompletionsRequestTranslator`).
public struct OpenAIRequest: Sendable, Equatable {
  /// Which API the body is for; the raw value is its name in the config's `apis` lists, span
  /// attributes and metric labels.
  public enum Endpoint: String, Sendable, Equatable, CaseIterable {
    /// `POST /v1/chat/completions`: `messages` is required.
    case chatCompletions = "chat_completions"
    /// `POST /v1/completions`: `prompt` is required.
    case completions
    /// `POST /v1/responses` (OpenAI Responses API): `input` is required; `instructions` is read
    /// as a leading system message.
    case responses
    /// `POST /v1/messages` (Anthropic Messages API): `messages` and `max_tokens` are required;
    /// `system` is read as a leading system message.
    case messages

    /// The endpoint of a `POST` to `path`, nil for paths the router does not route.
    public init?(path: String) {
      switch path {
      case "/v1/chat/completions": self = .chatCompletions
      case "/v1/completions": self = .completions
      case "/v1/responses": self = .responses
      case "/v1/messages": self = .messages
      default: return nil
      }
    }

    /// The request path.
    public var path: String {
      switch self {
      case .chatCompletions: "/v1/chat/completions"
      case .completions: "/v1/completions"
      case .responses: "/v1/responses"
      case .messages: "/v1/messages"
      }
    }
  }

  /// A generation parameter kept as its raw JSON value, under its chat-completions name, for a
  /// translated request (`max_output_tokens` and `max_tokens` become `max_tokens`,
  /// `stop_sequences` becomes `stop`).
  public struct Parameter: Sendable, Equatable {
    public var name: String
    public var json: [UInt8]

    public init(name: String, json: [UInt8]) {
      self.name = name
      self.json = json
    }
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
  /// Generation parameters a translation carries over (Responses and Messages only).
  public var parameters: [Parameter]
  /// The first feature of a Responses or Messages request that a translation to chat
  /// completions would lose (`tools`, an image, `previous_response_id`...); nil when the
  /// request translates exactly. Such a request is refused only when a translation is needed.
  public var untranslatable: String?
  /// Every message content string, text part, prompt string and system text (`instructions`,
  /// `system`), in body order.
  public var textValues: [TextValue]

  public init(
    endpoint: Endpoint, model: String, modelValueRange: Range<Int>, messages: [Message] = [],
    prompt: String? = nil, stream: Bool = false, parameters: [Parameter] = [],
    untranslatable: String? = nil, textValues: [TextValue] = []
  ) {
    self.endpoint = endpoint
    self.model = model
    self.modelValueRange = modelValueRange
    self.messages = messages
    self.prompt = prompt
    self.stream = stream
    self.parameters = parameters
    self.untranslatable = untranslatable
    self.textValues = textValues
  }

  /// The text to classify: the last user message (or the prompt), and the system prompt (or
  /// the Responses `instructions`, or the Messages `system`) as context, when there is one.
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
