internal import COpenSSL
import Synchronization

/// An OpenSSL context (`SSL_CTX`): a client's, built from a `TLSConfiguration` (trust roots,
/// verify mode, ALPN list, client certificate), or a server's, built from a
/// `TLSServerConfiguration`. Creating one parses every trusted certificate, so connections share
/// one (`shared(for:)` for clients) and `TLSSession` only makes the cheap per-connection `SSL`.
// @unchecked Sendable: the SSL_CTX is configured in init and only read afterwards (SSL_new),
// which OpenSSL allows from any thread.
public final class TLSContext: @unchecked Sendable {
  /// The client configuration (a default one for a server context).
  public let configuration: TLSConfiguration
  /// The server configuration; nil for a client context.
  public let serverConfiguration: TLSServerConfiguration?
  let context: OpaquePointer
  /// The server's ALPN list in wire form and a zero, read by the selection callback; nil for a
  /// client.
  private let serverALPN: UnsafeMutableBufferPointer<UInt8>?

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
    self.serverConfiguration = nil
    self.context = context
    self.serverALPN = nil

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

  /// Builds a server context: certificate and key, ALPN selection and, with
  /// `clientCAFile`, a required client certificate that chains to those CAs.
  public init(server configuration: TLSServerConfiguration) throws(TLSError) {
    ERR_clear_error()
    guard let context = SSL_CTX_new(TLS_server_method()) else {
      throw TLSError.fromErrorQueue(.configuration, fallback: "SSL_CTX_new failed")
    }
    let alpn: [UInt8]
    do {
      alpn = try configuration.alpnWireFormat()
    } catch {
      SSL_CTX_free(context)
      throw error
    }
    // A zero length byte ends the list for the selection callback.
    let serverALPN = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: alpn.count + 1)
    _ = serverALPN.initialize(from: alpn + [0])
    self.configuration = TLSConfiguration()
    self.serverConfiguration = configuration
    self.context = context
    self.serverALPN = serverALPN

    SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
    _ = SSL_CTX_set_options(context, Self.noRenegotiation)
    let certificate = configuration.certificateFile
    guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
      throw TLSError.fromErrorQueue(
        .configuration, prefix: "server certificate \(certificate)", fallback: "cannot be loaded")
    }
    let key = configuration.keyFile
    guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
      throw TLSError.fromErrorQueue(
        .configuration, prefix: "server key \(key)", fallback: "cannot be loaded")
    }
    guard SSL_CTX_check_private_key(context) == 1 else {
      throw TLSError.fromErrorQueue(
        .configuration, prefix: "server key \(key)", fallback: "does not match the certificate")
    }
    if let caFile = configuration.clientCAFile {
      guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1,
        let names = SSL_load_client_CA_file(caFile)
      else {
        throw TLSError.fromErrorQueue(
          .configuration, prefix: "client CA file \(caFile)", fallback: "cannot be loaded")
      }
      // The context owns `names` from here; they tell the client which CAs are accepted.
      SSL_CTX_set_client_CA_list(context, names)
      SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
    } else {
      SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
    }
    if !alpn.isEmpty {
      SSL_CTX_set_alpn_select_cb(context, Self.selectALPN, serverALPN.baseAddress)
    }
  }

  deinit {
    SSL_CTX_free(context)
    serverALPN?.deallocate()
  }

  /// OpenSSL's ALPN callback for a server: the first of the server's protocols (`argument`,
  /// in wire form) that the client offered; no answer when none was offered.
  private static let selectALPN:
    @convention(c) (
      OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
      UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?
    ) -> Int32 = { _, out, outLength, offered, offeredLength, argument in
      guard let out, let outLength, let offered, let argument else {
        return SSL_TLSEXT_ERR_NOACK
      }
      let offeredList = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
      let wanted = argument.assumingMemoryBound(to: UInt8.self)
      var wantedOffset = 0
      while wanted[wantedOffset] != 0 {
        let wantedLength = Int(wanted[wantedOffset])
        let name = UnsafeBufferPointer(start: wanted + wantedOffset + 1, count: wantedLength)
        var index = 0
        while index < offeredList.count {
          let length = Int(offeredList[index])
          let start = index + 1
          guard start + length <= offeredList.count else { break }
          if length == wantedLength && offeredList[start..<start + length].elementsEqual(name) {
            out.pointee = offered + start
            outLength.pointee = UInt8(length)
            return SSL_TLSEXT_ERR_OK
          }
          index = start + length
        }
        wantedOffset += 1 + wantedLength
      }
      return SSL_TLSEXT_ERR_NOACK
    }

  /// `SSL_OP_NO_RENEGOTIATION` (`SSL_OP_BIT(30)`, a macro Swift does not import).
  private static let noRenegotiation: UInt64 = 1 << 30
}
