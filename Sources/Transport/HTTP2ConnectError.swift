/// Why a client HTTP/2 connection could not be made: the TCP connect (or socket set-up) failed,
/// or the TLS handshake did (certificate not trusted, name mismatch, no `h2` by ALPN...).
public enum HTTP2ConnectError: Error, Sendable, Equatable, CustomStringConvertible {
  case system(SystemError)
  case tls(TLSError)

  public var description: String {
    switch self {
    case .system(let error): error.description
    case .tls(let error): "TLS handshake failed: \(error.message)"
    }
  }
}
