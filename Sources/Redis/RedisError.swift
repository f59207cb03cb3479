/// Why a Redis command batch got no replies.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
  /// No connection: connecting failed, or the client waits out its reconnect backoff.
  case unavailable(String)
  /// No reply within the client's timeout.
  case timeout
  /// The connection closed or failed with the batch unanswered.
  case connectionLost(String)
  /// Too many batches wait for replies on this connection already.
  case overloaded
  /// The server's bytes are not RESP.
  case protocolViolation(String)
  /// The server answered a command with an error (e.g. `NOAUTH`, `WRONGTYPE`, `OOM`).
  case errorReply(String)

  /// A short label for metrics (`reason`).
  public var reason: String {
    switch self {
    case .unavailable: "unavailable"
    case .timeout: "timeout"
    case .connectionLost: "connection_lost"
    case .overloaded: "overloaded"
    case .protocolViolation: "protocol"
    case .errorReply: "error_reply"
    }
  }

  public var description: String {
    switch self {
    case .unavailable(let why): "Redis unavailable: \(why)"
    case .timeout: "Redis timeout"
    case .connectionLost(let why): "Redis connection lost: \(why)"
    case .overloaded: "too many Redis commands pending"
    case .protocolViolation(let why): "Redis protocol violation: \(why)"
    case .errorReply(let message): "Redis answered: \(message)"
    }
  }
}
