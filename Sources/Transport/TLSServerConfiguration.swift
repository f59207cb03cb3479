/// How a TLS server accepts connections: its certificate and key, the ALPN protocols it agrees
/// to, and, for mutual TLS, the CAs a client certificate must chain to.
public struct TLSServerConfiguration: Sendable, Hashable {
  /// PEM certificate chain presented to clients (leaf first).
  public var certificateFile: String
  /// PEM private key of `certificateFile`.
  public var keyFile: String
  /// PEM file of CAs that sign client certificates. Set, every client must present a
  /// certificate that chains to one of them (mutual TLS); nil accepts any client.
  public var clientCAFile: String?
  /// ALPN protocols the server agrees to, most preferred first (`["h2"]` for gRPC). A client
  /// that offers none of them gets no ALPN answer rather than an alert.
  public var alpnProtocols: [String]

  public init(
    certificateFile: String, keyFile: String, clientCAFile: String? = nil,
    alpnProtocols: [String] = ["h2"]
  ) {
    self.certificateFile = certificateFile
    self.keyFile = keyFile
    self.clientCAFile = clientCAFile
    self.alpnProtocols = alpnProtocols
  }

  /// The ALPN list in wire form (RFC 7301 §3.1), validated as a client's list is.
  func alpnWireFormat() throws(TLSError) -> [UInt8] {
    try TLSConfiguration(alpnProtocols: alpnProtocols).alpnWireFormat()
  }
}
