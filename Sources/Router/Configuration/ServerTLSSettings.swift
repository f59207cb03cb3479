/// `server.tls`: TLS on the ext_proc listener, for an Envoy that reaches the router over a
/// network (not a sidecar on loopback). Paths are used as given (relative to the working
/// directory), like `observability.tracing.exporter.ca_file`.
public struct ServerTLSSettings: Sendable, Equatable {
  /// PEM certificate chain the router presents (leaf first).
  public var certificateFile: String
  /// PEM private key of `certificateFile`.
  public var keyFile: String
  /// PEM CAs that sign client certificates. Set, Envoy must present a certificate that chains
  /// to one of them (mutual TLS): only it can then store answers in the cache. Nil accepts
  /// any client.
  public var clientCAFile: String?

  public init(certificateFile: String, keyFile: String, clientCAFile: String? = nil) {
    self.certificateFile = certificateFile
    self.keyFile = keyFile
    self.clientCAFile = clientCAFile
  }
}
