/// Why a TLS context or session failed, with OpenSSL's own reason text.
///
/// For a certificate that does not verify, `message` carries both OpenSSL's error and the
/// verify result, e.g. `certificate verify failed: self-signed certificate in certificate
/// chain` or `certificate verify failed: hostname mismatch`.
public struct TLSError: Error, Sendable, Hashable, CustomStringConvertible {
  public enum Reason: Sendable, Hashable {
    /// The configuration could not be loaded (CA file, client certificate or key, ALPN list).
    case configuration
    /// The peer's certificate chain or name did not verify.
    case certificateVerification
    /// The handshake failed for another reason (protocol version, alert from the peer...).
    case handshake
    /// A record after the handshake was invalid, or the session was used in the wrong state.
    case connection
  }

  public var reason: Reason
  /// OpenSSL's reason text (and the verify result when there is one).
  public var message: String

  public init(_ reason: Reason, _ message: String) {
    self.reason = reason
    self.message = message
  }

  public var description: String { message }
}
