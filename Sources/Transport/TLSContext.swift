internal import COpenSSL
import Synchronization

/// An OpenSSL client context (`SSL_CTX`) built from a `TLSConfiguration`: trust roots, verify
/// mode, ALPN list, client certificate. Creating one parses every trusted certificate, so
/// connections share one per configuration (`shared(for:)`) and `TLSSession` only makes the
/// cheap per-connection `SSL`.
// @unchecked Sendable: the SSL_CTX is configured in init and only read afterwards (SSL_new),
// which OpenSSL allows from any thread.
public final class TLSContext: @unchecked Sendable {
  public let configuration: TLSConfiguration
  let context: OpaquePointer

  /// Contexts by configuration (server name cleared: it is per session).
  private static let cache = Mutex<[TLSConfiguration: TLSContext]>([:])

  /// The context for `configuration`, built on first use and kept for the process's life.
  /// A configuration that fails to load is not kept, so a fixed file is picked up next time.
  public static func shared(for configuration: TLSConfiguration) throws(TLSError) -> TLSContext {
    var key = configuration
    key.serverName = nil
    if let existing = cache.withLock({ $0[key] }) { return existing }
    let made = try TLSContext(configuration: key)
    return cache.withLock { cache in
      if let raced = cache[key] { return raced }
      cache[key] = made
      return made
    }
  }

  /// Builds a new context (prefer `shared(for:)`). `configuration.serverName` is not used
  /// here: each `TLSSession` is given the name it checks.
  public init(configuration: TLSConfiguration) throws(TLSError) {
    ERR_clear_error()
    guard let context = SSL_CTX_new(TLS_client_method()) else {
      throw TLSError.fromErrorQueue(.configuration, fallback: "SSL_CTX_new failed")
    }
    // Hand the context to `self` at once so deinit frees it on every failure below.
    self.configuration = configuration
    self.context = context

    SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
    // TLS 1.2 renegotiation would make a write wait for a read; collectors never need it.
    _ = SSL_CTX_set_options(context, Self.noRenegotiation)
    SSL_CTX_set_verify(context, configuration.verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)

    if let caFile = configuration.caFile {
      guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
        throw TLSError.fromErrorQueue(
          .configuration, prefix: "CA file \(caFile)", fallback: "cannot be loaded")
      }
    } else if configuration.verifyPeer {
      guard SSL_CTX_set_default_verify_paths(context) == 1 else {
        throw TLSError.fromErrorQueue(
          .configuration, prefix: "system CA roots", fallback: "cannot be loaded")
      }
    }

    let alpn = try configuration.alpnWireFormat()
    if !alpn.isEmpty {
      // Returns 0 on success, unlike most of OpenSSL.
      guard SSL_CTX_set_alpn_protos(context, alpn, UInt32(alpn.count)) == 0 else {
        throw TLSError.fromErrorQueue(.configuration, fallback: "ALPN list refused")
      }
    }

    switch (configuration.clientCertificateFile, configuration.clientKeyFile) {
    case (nil, nil):
      break
    case (let certificate?, let key?):
      guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
        throw TLSError.fromErrorQueue(
          .configuration, prefix: "client certificate \(certificate)", fallback: "cannot be loaded")
      }
      guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
        throw TLSError.fromErrorQueue(
          .configuration, prefix: "client key \(key)", fallback: "cannot be loaded")
      }
      guard SSL_CTX_check_private_key(context) == 1 else {
        throw TLSError.fromErrorQueue(
          .configuration, prefix: "client key \(key)", fallback: "does not match the certificate")
      }
    default:
      throw TLSError(
        .configuration, "a client certificate needs both the certificate and the key file")
    }
  }

  deinit { SSL_CTX_free(context) }

  /// `SSL_OP_NO_RENEGOTIATION` (`SSL_OP_BIT(30)`, a macro Swift does not import).
  private static let noRenegotiation: UInt64 = 1 << 30
}
