/// A span's final status (OTLP `Status`).
public enum SpanStatus: Sendable, Hashable {
  case unset
  case ok
  case error(message: String)

  /// The OTLP `StatusCode` number.
  var code: Int32 {
    switch self {
    case .unset: 0
    case .ok: 1
    case .error: 2
    }
  }
}
