/// Why a request made with `HTTPClient` failed.
public struct HTTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
  public enum Reason: Sendable, Hashable {
    /// The host name (or the proxy's) could not be resolved.
    case resolve
    /// No address of the host (or the proxy) accepted the connection.
    case connect
    /// The deadline passed.
    case timeout
    /// The peer closed the connection before a complete response.
    case connectionClosed
    /// A send or receive failed (reset, broken pipe...), or the client could not be set up.
    case io
    /// The response was not valid HTTP/1.1 (or exceeded our size limits).
    case malformedResponse
    /// TLS failed: configuration, certificate verification, handshake or a bad record. A
    /// verification failure reads `certificate verify failed: <OpenSSL's reason>`.
    case tls
    /// The proxy refused the tunnel or answered something that is not HTTP.
    case proxy
    /// The client's `HTTPClientCancellation` was raised.
    case cancelled
  }

  public var reason: Reason
  /// Detail for logs: libcurl's error text, or what was malformed.
  public var message: String

  public init(_ reason: Reason, _ message: String) {
    self.reason = reason
    self.message = message
  }

  public var description: String { "\(reason): \(message)" }
}
