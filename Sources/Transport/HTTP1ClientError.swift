/// Why an HTTP/1.1 request made with `HTTP1Client` failed.
public struct HTTP1ClientError: Error, Sendable, Hashable, CustomStringConvertible {
  public enum Reason: Sendable, Hashable {
    /// The host name could not be resolved.
    case resolve
    /// No address accepted the connection.
    case connect
    /// The deadline passed.
    case timeout
    /// The peer closed the connection before a complete response.
    case connectionClosed
    /// A send or receive failed (reset, broken pipe...).
    case io
    /// The response was not valid HTTP/1.1 (or exceeded our size limits).
    case malformedResponse
    /// TLS failed: configuration, certificate verification, handshake or a bad record. The
    /// message is OpenSSL's reason (see `TLSError`).
    case tls
  }

  public var reason: Reason
  /// Detail for logs: the failing call and `errno` text, or what was malformed.
  public var message: String

  public init(_ reason: Reason, _ message: String) {
    self.reason = reason
    self.message = message
  }

  public var description: String { "\(reason): \(message)" }
}
