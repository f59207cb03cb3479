/// Why a request body is not a usable OpenAI request; each maps to an OpenAI-style 400 error.
public enum OpenAIRequestError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The body is not valid JSON (byte offset and reason).
  case invalidJSON(offset: Int, reason: String)
  /// A required field is absent.
  case missingField(String)
  /// A field has the wrong JSON type (`field` is a path such as `messages[2].content`).
  case wrongType(field: String, expected: String, found: String)
  /// A field has a value that is not allowed (e.g. an empty `messages` array).
  case invalidValue(field: String, reason: String)

  public var description: String {
    switch self {
    case .invalidJSON(let offset, let reason):
      return "We could not parse the JSON body of your request: \(reason) at byte \(offset)."
    case .missingField(let field):
      return "Missing required parameter: '\(field)'."
    case .wrongType(let field, let expected, let found):
      return "Invalid type for '\(field)': expected \(expected), but got \(found)."
    case .invalidValue(let field, let reason):
      return "Invalid value for '\(field)': \(reason)."
    }
  }

  /// The OpenAI error `code` for this problem.
  public var code: String {
    switch self {
    case .invalidJSON: return "invalid_json"
    case .missingField: return "missing_required_parameter"
    case .wrongType: return "invalid_type"
    case .invalidValue: return "invalid_value"
    }
  }
}
