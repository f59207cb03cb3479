/// Why a trace view could not start.
public enum TraceViewError: Error, Sendable, CustomStringConvertible {
  case cannotOpenJSONFile(path: String, reason: String)

  public var description: String {
    switch self {
    case .cannotOpenJSONFile(let path, let reason): "cannot open \(path): \(reason)"
    }
  }
}
