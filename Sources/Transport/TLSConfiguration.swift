/// How a TLS client connection is set up: whom to trust, which name to check, which application
/// protocols to offer, and an optional client certificate (mutual TLS).
///
/// A value: equal configurations share one `TLSContext` (see `TLSContext.shared(for:)`), so
/// building the expensive OpenSSL context happens once per configuration, not per connection.
public struct TLSConfiguration: Sendable, Hashable {
  /// Check the peer's certificate chain and name (default true). False accepts any
  /// certificate: for tests against throw-away servers only.
  public var verifyPeer: Bool
  /// PEM file of CA certificates to trust. Nil trusts the system roots (OpenSSL's default
  /// verify paths: `/etc/ssl/certs` on Debian).
  public var caFile: String?
  /// The name sent in SNI and checked against the certificate (`subjectAltName`). Nil means
  /// the host being connected to. An IP address is checked against IP SANs and not sent in SNI
  /// (RFC 6066 allows only host names there).
  public var serverName: String?
  /// ALPN protocols offered, most preferred first: `["h2"]` for gRPC, `["http/1.1"]` for
  /// HTTP/1.1. Empty offers none.
  public var alpnProtocols: [String]
  /// PEM certificate chain presented to the server (mutual TLS); needs `clientKeyFile`.
  public var clientCertificateFile: String?
  /// PEM private key of `clientCertificateFile`.
  public var clientKeyFile: String?

  public init(
    verifyPeer: Bool = true, caFile: String? = nil, serverName: String? = nil,
    alpnProtocols: [String] = [], clientCertificateFile: String? = nil,
    clientKeyFile: String? = nil
  ) {
    self.verifyPeer = verifyPeer
    self.caFile = caFile
    self.serverName = serverName
    self.alpnProtocols = alpnProtocols
    self.clientCertificateFile = clientCertificateFile
    self.clientKeyFile = clientKeyFile
  }

  /// The ALPN protocol list in wire form (RFC 7301 §3.1: each name prefixed by its length).
  /// Throws for an empty name or one longer than 255 bytes.
  func alpnWireFormat() throws(TLSError) -> [UInt8] {
    var wire: [UInt8] = []
    for name in alpnProtocols {
      let bytes = Array(name.utf8)
      guard (1...255).contains(bytes.count) else {
        throw TLSError(.configuration, "ALPN protocol name must be 1 to 255 bytes: '\(name)'")
      }
      wire.append(UInt8(bytes.count))
      wire.append(contentsOf: bytes)
    }
    return wire
  }
}
