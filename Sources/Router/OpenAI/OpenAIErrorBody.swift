/// OpenAI-style error responses: `{"error":{"message":…,"type":…,"code":…}}`.
public enum OpenAIErrorBody {
  /// The JSON bytes of an error object.
  public static func make(message: String, type: String, code: String?) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(64 + message.utf8.count)
    JSONWriter.appendRaw("{\"error\":{\"message\":", to: &output)
    JSONWriter.appendString(message, to: &output)
    JSONWriter.appendRaw(",\"type\":", to: &output)
    JSONWriter.appendString(type, to: &output)
    JSONWriter.appendRaw(",\"code\":", to: &output)
    if let code {
      JSONWriter.appendString(code, to: &output)
    } else {
      JSONWriter.appendRaw("null", to: &output)
    }
    JSONWriter.appendRaw("}}", to: &output)
    return output
  }

  /// The 404 body for a model that is not configured.
  public static func modelNotFound(_ model: String) -> [UInt8] {
    make(
      message: modelNotFoundMessage(model), type: "invalid_request_error", code: "model_not_found")
  }

  /// The message of a 404 for a model that is not configured.
  public static func modelNotFoundMessage(_ model: String) -> String {
    "The model '\(model)' does not exist or you do not have access to it."
  }

  /// The message of a 413 for a request body over the limit.
  public static func bodyTooLargeMessage(size: Int, limit: Int) -> String {
    "The request body is \(size) bytes; the limit is \(limit) bytes."
  }
}
