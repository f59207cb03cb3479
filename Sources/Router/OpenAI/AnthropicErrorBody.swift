/// Anthropic-style error responses, for requests to the Messages API:
/// `{"type":"error","error":{"type":…,"message":…}}`, the error type named by the HTTP status
/// as Anthropic's API reference lists them.
public enum AnthropicErrorBody {
  /// The JSON bytes of an error for `status`.
  public static func make(status: Int, message: String) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(64 + message.utf8.count)
    JSONWriter.appendRaw("{\"type\":\"error\",\"error\":{\"type\":", to: &output)
    JSONWriter.appendString(errorType(status: status), to: &output)
    JSONWriter.appendRaw(",\"message\":", to: &output)
    JSONWriter.appendString(message, to: &output)
    JSONWriter.appendRaw("}}", to: &output)
    return output
  }

  /// Anthropic's error type for an HTTP status.
  public static func errorType(status: Int) -> String {
    switch status {
    case 401: "authentication_error"
    case 403: "permission_error"
    case 404: "not_found_error"
    case 413: "request_too_large"
    case 429: "rate_limit_error"
    case 529: "overloaded_error"
    case 400..<500: "invalid_request_error"
    default: "api_error"
    }
  }
}
