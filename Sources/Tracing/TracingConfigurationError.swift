/// A tracing configuration that cannot be put to work.
public struct TracingConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
  public enum Reason: Sendable, Hashable {
    /// The endpoint is not a usable URL or `host:port`.
    case invalidEndpoint
    /// The TLS settings cannot be loaded (CA file, client certificate or key).
    case tls
  }

  public var reason: Reason
  public var message: String

  public init(_ reason: Reason, _ message: String) {
    self.reason = reason
    self.message = message
  }

  public var description: String { message }
}
