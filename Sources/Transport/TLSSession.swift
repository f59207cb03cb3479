internal import COpenSSL
import Glibc

/// One TLS connection's state (client, or server with `init(serverContext:)`), over memory
/// buffers instead of a socket.
///
/// The session never does I/O: the owner feeds it the bytes read from the socket
/// (`feedCiphertext`) and sends what it produces (`takeCiphertextToSend`), so the same code
/// serves a blocking socket client and a non-blocking event-loop client. The cycle:
///
/// 1. `handshake()` until it returns `.complete`; after every call send
///    `takeCiphertextToSend()`; on `.needsMoreCiphertext` read the socket and feed the bytes.
/// 2. `write(_:)` application bytes, then send `takeCiphertextToSend()`.
/// 3. On every socket read: `feedCiphertext`, then `readPlaintext()` (and send
///    `takeCiphertextToSend()`: reading may produce records too, e.g. a key update reply).
/// 4. `close()` queues a close_notify alert: send `takeCiphertextToSend()` before closing.
///
/// Confined to one thread (OpenSSL's error queue is per thread, and an `SSL` is not shared).
public final class TLSSession {
  public let context: TLSContext
  /// The name checked against the certificate (empty on the server side).
  public let serverName: String
  private let ssl: OpaquePointer
  /// Ciphertext from the peer, read by OpenSSL (owned by `ssl`).
  private let inbound: OpaquePointer
  /// Ciphertext OpenSSL wrote for the peer (owned by `ssl`).
  private let outbound: OpaquePointer
  /// True once the peer's close_notify has been read.
  public private(set) var receivedCloseNotify = false
  /// Set by the first fatal error; every later call throws it again.
  private var failure: TLSError?
  /// Where records are decrypted into (one TLS record's worth), allocated once.
  private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 1)

  /// The outcome of one `handshake()` step.
  public enum HandshakeProgress: Sendable, Hashable {
    /// The handshake is done: application data can flow.
    case complete
    /// Send `takeCiphertextToSend()`, then feed the peer's next bytes and call again.
    case needsMoreCiphertext
  }

  /// A session for a connection to `host`, sharing the configuration's context.
  /// `configuration.serverName` wins over `host` for SNI and name checks.
  public convenience init(configuration: TLSConfiguration, host: String) throws(TLSError) {
    try self.init(
      context: TLSContext.shared(for: configuration),
      serverName: configuration.serverName ?? host)
  }

  /// A session on `context` that checks `serverName` (a DNS name, sent in SNI, or an IP
  /// address, matched against IP SANs) when the context verifies peers.
  public convenience init(context: TLSContext, serverName: String) throws(TLSError) {
    try self.init(context: context, serverName: serverName, accepting: false)
  }

  /// The server side of one accepted connection, on a context made by
  /// `TLSContext(server:)`.
  public convenience init(serverContext: TLSContext) throws(TLSError) {
    precondition(serverContext.serverConfiguration != nil, "not a server context")
    try self.init(context: serverContext, serverName: "", accepting: true)
  }

  private init(context: TLSContext, serverName: String, accepting: Bool) throws(TLSError) {
    ERR_clear_error()
    guard let ssl = SSL_new(context.context) else {
      throw TLSError.fromErrorQueue(.configuration, fallback: "SSL_new failed")
    }
    guard let inbound = BIO_new(BIO_s_mem()) else {
      SSL_free(ssl)
      throw TLSError.fromErrorQueue(.configuration, fallback: "BIO_new failed")
    }
    guard let outbound = BIO_new(BIO_s_mem()) else {
      BIO_free(inbound)
      SSL_free(ssl)
      throw TLSError.fromErrorQueue(.configuration, fallback: "BIO_new failed")
    }
    // The SSL owns both BIOs from here: SSL_free frees them. An empty inbound BIO reports
    // "retry" (its default EOF value is -1), which OpenSSL turns into SSL_ERROR_WANT_READ.
    SSL_set_bio(ssl, inbound, outbound)
    self.context = context
    self.serverName = serverName
    self.ssl = ssl
    self.inbound = inbound
    self.outbound = outbound
    guard !accepting else {
      SSL_set_accept_state(ssl)
      return
    }
    SSL_set_connect_state(ssl)

    let isIPAddress = Self.isIPAddress(serverName)
    if !isIPAddress && !serverName.isEmpty {
      // SSL_set_tlsext_host_name is a macro over SSL_ctrl.
      let rc = serverName.withCString { name in
        SSL_ctrl(
          ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name),
          UnsafeMutableRawPointer(mutating: name))
      }
      guard rc == 1 else {
        throw TLSError.fromErrorQueue(.configuration, fallback: "bad SNI \(serverName)")
      }
    }
    if context.configuration.verifyPeer {
      let parameters = SSL_get0_param(ssl)
      X509_VERIFY_PARAM_set_hostflags(parameters, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
      let ok =
        isIPAddress
        ? X509_VERIFY_PARAM_set1_ip_asc(parameters, serverName)
        : X509_VERIFY_PARAM_set1_host(parameters, serverName, 0)
      guard ok == 1 else {
        throw TLSError.fromErrorQueue(.configuration, fallback: "bad server name \(serverName)")
      }
    }
  }

  deinit {
    SSL_free(ssl)
    scratch.deallocate()
  }

  // MARK: - Ciphertext

  /// Hands OpenSSL bytes received from the peer.
  public func feedCiphertext(_ bytes: UnsafeRawBufferPointer) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    var offset = 0
    while offset < bytes.count {
      // A memory BIO grows as needed; a write only fails if memory runs out.
      let chunk = Int32(clamping: bytes.count - offset)
      let n = BIO_write(inbound, base + offset, chunk)
      precondition(n > 0, "BIO_write to a memory BIO failed")
      offset += Int(n)
    }
  }

  /// Hands OpenSSL bytes received from the peer.
  public func feedCiphertext(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { feedCiphertext($0) }
  }

  /// True when records are waiting to be sent.
  public var hasCiphertextToSend: Bool { BIO_ctrl_pending(outbound) > 0 }

  /// The records OpenSSL produced since the last call (handshake messages, encrypted
  /// application data, alerts), to send to the peer in order.
  public func takeCiphertextToSend() -> [UInt8] {
    var ciphertext: [UInt8] = []
    takeCiphertextToSend(appendingTo: &ciphertext)
    return ciphertext
  }

  /// Like `takeCiphertextToSend()`, appending to `output` (e.g. a connection's send buffer);
  /// returns the number of bytes added.
  @discardableResult
  public func takeCiphertextToSend(appendingTo output: inout [UInt8]) -> Int {
    let pending = Int(BIO_ctrl_pending(outbound))
    guard pending > 0 else { return 0 }
    let start = output.count
    output.append(contentsOf: repeatElement(0, count: pending))
    let n = output.withUnsafeMutableBytes { bytes in
      BIO_read(outbound, bytes.baseAddress! + start, Int32(clamping: pending))
    }
    // A memory BIO hands out exactly what it holds.
    precondition(Int(n) == pending, "BIO_read from a memory BIO returned \(n) of \(pending)")
    return pending
  }

  // MARK: - Handshake

  /// True once the handshake has completed.
  public var isHandshakeComplete: Bool { SSL_is_init_finished(ssl) == 1 }

  /// Advances the handshake with the ciphertext fed so far. Send `takeCiphertextToSend()`
  /// after every call, also after a throw (it may hold an alert for the peer).
  public func handshake() throws(TLSError) -> HandshakeProgress {
    if let failure { throw failure }
    ERR_clear_error()
    let rc = SSL_do_handshake(ssl)
    if rc == 1 { return .complete }
    switch SSL_get_error(ssl, rc) {
    case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
      return .needsMoreCiphertext
    default:
      throw fail(handshakeError())
    }
  }

  /// The protocol the server chose by ALPN (e.g. `h2`), nil when none was agreed.
  public var negotiatedALPN: String? {
    var data: UnsafePointer<UInt8>?
    var length: UInt32 = 0
    SSL_get0_alpn_selected(ssl, &data, &length)
    guard let data, length > 0 else { return nil }
    return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
  }

  /// The negotiated protocol version, e.g. `TLSv1.3`.
  public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

  // MARK: - Application data

  /// Encrypts `plaintext` into records; send `takeCiphertextToSend()` afterwards. Needs a
  /// completed handshake.
  public func write(_ plaintext: UnsafeRawBufferPointer) throws(TLSError) {
    if let failure { throw failure }
    guard isHandshakeComplete else {
      throw TLSError(.connection, "write before the TLS handshake completed")
    }
    guard let base = plaintext.baseAddress, plaintext.count > 0 else { return }
    var offset = 0
    while offset < plaintext.count {
      ERR_clear_error()
      var written = 0
      let rc = SSL_write_ex(ssl, base + offset, plaintext.count - offset, &written)
      guard rc == 1 else {
        // The outbound BIO grows, so only a fatal error (or a close) stops a write.
        throw fail(TLSError.fromErrorQueue(.connection, prefix: "TLS write", fallback: "failed"))
      }
      offset += written
    }
  }

  /// Encrypts `plaintext` into records; send `takeCiphertextToSend()` afterwards.
  public func write(_ plaintext: [UInt8]) throws(TLSError) {
    let result = plaintext.withUnsafeBytes { raw in
      Result { () throws(TLSError) in try write(raw) }
    }
    try result.get()
  }

  /// Decrypts every complete record fed so far and returns the application bytes (empty when
  /// a record is still incomplete). Sets `receivedCloseNotify` when the peer closed cleanly.
  public func readPlaintext() throws(TLSError) -> [UInt8] {
    var plaintext: [UInt8] = []
    try readPlaintext(appendingTo: &plaintext)
    return plaintext
  }

  /// Like `readPlaintext()`, appending to `plaintext`; returns the number of bytes added.
  @discardableResult
  public func readPlaintext(appendingTo plaintext: inout [UInt8]) throws(TLSError) -> Int {
    try readPlaintext { plaintext.append(contentsOf: $0) }
  }

  /// Decrypts every complete record fed so far and hands each piece of application data to
  /// `body`, without copying (the bytes are valid only during the call): for an event loop
  /// that passes them straight on, e.g. to `nghttp2_session_mem_recv`. Returns the number of
  /// bytes handed over.
  @discardableResult
  public func readPlaintext(_ body: (UnsafeRawBufferPointer) -> Void) throws(TLSError) -> Int {
    if let failure { throw failure }
    guard !receivedCloseNotify else { return 0 }
    var added = 0
    while true {
      ERR_clear_error()
      var read = 0
      let rc = SSL_read_ex(ssl, scratch.baseAddress, scratch.count, &read)
      if rc == 1 {
        body(UnsafeRawBufferPointer(rebasing: scratch[0..<read]))
        added += read
        continue
      }
      switch SSL_get_error(ssl, 0) {
      case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
        return added
      case SSL_ERROR_ZERO_RETURN:
        receivedCloseNotify = true
        return added
      default:
        if !isHandshakeComplete { throw fail(handshakeError()) }
        throw fail(TLSError.fromErrorQueue(.connection, prefix: "TLS read", fallback: "failed"))
      }
    }
  }

  // MARK: - Closing

  /// Queues a close_notify alert (send `takeCiphertextToSend()` next). The session cannot
  /// write afterwards; the caller need not wait for the peer's close_notify.
  public func close() {
    guard failure == nil, isHandshakeComplete else { return }
    ERR_clear_error()
    _ = SSL_shutdown(ssl)
    ERR_clear_error()
  }

  // MARK: - Errors

  private func fail(_ error: TLSError) -> TLSError {
    failure = error
    return error
  }

  /// The error for a failed handshake: the verify result when the certificate was refused.
  private func handshakeError() -> TLSError {
    let verifyResult = SSL_get_verify_result(ssl)
    let queued = TLSError.drainErrorQueue()
    let detail = queued.isEmpty ? "TLS handshake failed" : queued.joined(separator: "; ")
    if verifyResult != X509_V_OK {
      let verify = String(cString: X509_verify_cert_error_string(verifyResult))
      return TLSError(.certificateVerification, "\(detail): \(verify)")
    }
    return TLSError(.handshake, detail)
  }

  private static func isIPAddress(_ name: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
  }
}

@available(*, unavailable)
extension TLSSession: Sendable {}
