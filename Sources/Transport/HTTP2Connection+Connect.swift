internal import CNGHTTP2
import Glibc
import Logging

extension HTTP2Connection {
  /// Opens a client connection to `address` from `loop` and calls `completion` on the loop with
  /// the started connection or the failure. Without `tls` it speaks h2c with prior knowledge;
  /// with it, it runs the TLS handshake first (a session on `tls.context` checking
  /// `tls.serverName`) and requires the server to agree to `h2` by ALPN. `timeoutNanoseconds`
  /// bounds the TCP connect and the handshake together (then ETIMEDOUT). Loop thread only.
  public static func connect(
    to address: SocketAddress, on loop: EventLoop, settings: HTTP2Settings = HTTP2Settings(),
    tls: (context: TLSContext, serverName: String)? = nil, timeoutNanoseconds: UInt64,
    logger: Logger, completion: @escaping (Result<HTTP2Connection, HTTP2ConnectError>) -> Void
  ) {
    loop.assertInEventLoop()
    let session: TLSSession?
    do {
      session = try tls.map { tls throws(TLSError) in
        try TLSSession(context: tls.context, serverName: tls.serverName)
      }
    } catch {
      completion(.failure(.tls(error)))
      return
    }
    let fd: Int32
    do {
      fd = try Syscall.socket(domain: address.family, type: Int32(SOCK_STREAM.rawValue))
    } catch {
      completion(.failure(.system(error)))
      return
    }
    let attempt = HTTP2ConnectAttempt(
      fd: fd, address: address, loop: loop, settings: settings, tls: session, logger: logger,
      completion: completion)
    attempt.begin(timeoutNanoseconds: timeoutNanoseconds)
  }

  /// Whether a client may open new streams (not closed, no GOAWAY sent or received).
  public var canOpenStreams: Bool {
    guard !isClosed, let session = sessionForChecks else { return false }
    return nghttp2_session_check_request_allowed(session) != 0
  }
}

/// One non-blocking connect in progress: waits for writability, checks SO_ERROR, runs the TLS
/// handshake when there is a session, then hands the socket to a client `HTTP2Connection`.
/// Loop-thread confined.
private final class HTTP2ConnectAttempt: Selectable {
  private let fd: Int32
  private let address: SocketAddress
  private let loop: EventLoop
  private let settings: HTTP2Settings
  private let tls: TLSSession?
  private let logger: Logger
  private var completion: ((Result<HTTP2Connection, HTTP2ConnectError>) -> Void)?
  private var timer: TimerID?
  private var registered = false
  /// True once TCP is connected and the TLS handshake is running.
  private var handshaking = false
  /// Handshake records not yet accepted by the socket.
  private var pending: [UInt8] = []
  private var pendingOffset = 0
  private var wantsWritable = false

  init(
    fd: Int32, address: SocketAddress, loop: EventLoop, settings: HTTP2Settings,
    tls: TLSSession?, logger: Logger,
    completion: @escaping (Result<HTTP2Connection, HTTP2ConnectError>) -> Void
  ) {
    self.fd = fd
    self.address = address
    self.loop = loop
    self.settings = settings
    self.tls = tls
    self.logger = logger
    self.completion = completion
  }

  func begin(timeoutNanoseconds: UInt64) {
    timer = loop.scheduleTimer(afterNanoseconds: timeoutNanoseconds) { [self] in
      timer = nil
      let what = handshaking ? "TLS handshake" : "connect"
      fail(.system(SystemError(function: what, errno: ETIMEDOUT)))
    }
    do {
      switch try Syscall.connect(fd, address) {
      case .processed:
        connected()
      case .wouldBlock:
        try loop.register(fd: fd, handler: self, writable: true)
        registered = true
        wantsWritable = true
      }
    } catch {
      fail(.system(error))
    }
  }

  func readable() {
    if handshaking {
      receiveHandshake()
    } else {
      writable()
    }
  }

  func writable() {
    guard completion != nil else { return }
    if handshaking {
      sendPending()
      return
    }
    do {
      let code = try Syscall.socketError(fd)
      guard code == 0 else {
        fail(.system(SystemError(function: "connect", errno: code)))
        return
      }
    } catch {
      fail(.system(error))
      return
    }
    connected()
  }

  private func connected() {
    try? Syscall.setIntOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
    guard tls != nil else {
      handOff()
      return
    }
    handshaking = true
    do {
      if registered {
        try setWritable(false)
      } else {
        try loop.register(fd: fd, handler: self)
        registered = true
      }
    } catch {
      fail(.system(error))
      return
    }
    advanceHandshake()
  }

  // MARK: - TLS handshake

  /// Runs the handshake as far as the received bytes allow and sends what it produced.
  private func advanceHandshake() {
    guard let tls, completion != nil else { return }
    let progress: TLSSession.HandshakeProgress
    do {
      progress = try tls.handshake()
    } catch {
      // The session may hold an alert for the server: send it on a best-effort basis.
      queueCiphertext()
      if pendingOffset < pending.count {
        _ = pending.withUnsafeBytes { bytes in
          try? Syscall.write(fd, UnsafeRawBufferPointer(rebasing: bytes[pendingOffset...]))
        }
      }
      fail(.tls(error))
      return
    }
    queueCiphertext()
    switch progress {
    case .needsMoreCiphertext:
      sendPending()
    case .complete:
      guard tls.negotiatedALPN == "h2" else {
        let agreed = tls.negotiatedALPN.map { "'\($0)'" } ?? "none"
        let reason = "the server did not agree to h2 by ALPN (agreed: \(agreed))"
        fail(.tls(TLSError(.handshake, reason)))
        return
      }
      handOff()
    }
  }

  private func queueCiphertext() {
    tls?.takeCiphertextToSend(appendingTo: &pending)
  }

  /// Writes queued handshake records; asks for writability while the socket is full.
  private func sendPending() {
    while pendingOffset < pending.count {
      let offset = pendingOffset
      let result = pending.withUnsafeBytes { bytes in
        Result { () throws(SystemError) in
          try Syscall.write(fd, UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        }
      }
      let progress: IOResult<Int>
      switch result {
      case .success(let value): progress = value
      case .failure(let error):
        fail(.system(error))
        return
      }
      guard case .processed(let written) = progress else { break }
      pendingOffset += written
    }
    if pendingOffset == pending.count {
      pending.removeAll(keepingCapacity: true)
      pendingOffset = 0
    }
    do {
      try setWritable(pendingOffset < pending.count)
    } catch {
      fail(.system(error))
    }
  }

  /// Feeds what the socket holds to the session, then advances the handshake.
  private func receiveHandshake() {
    guard let tls, completion != nil else { return }
    let outcome = SocketReader.read(fd, into: loop.readBuffer) { bytes in
      tls.feedCiphertext(bytes)
      return true
    }
    switch outcome {
    case .drained, .capped, .stopped:
      advanceHandshake()
    case .endOfStream:
      fail(.tls(TLSError(.handshake, "the server closed the connection during the handshake")))
    case .failed(let error):
      fail(.system(error))
    }
  }

  private func setWritable(_ wants: Bool) throws(SystemError) {
    guard wants != wantsWritable else { return }
    wantsWritable = wants
    try loop.setWritable(fd: fd, wants)
  }

  // MARK: - Outcome

  private func handOff() {
    guard let completion else { return }
    self.completion = nil
    stopWaiting()
    let unsent = pendingOffset < pending.count ? Array(pending[pendingOffset...]) : []
    let connection = HTTP2Connection(
      fd: fd, role: .client, loop: loop, settings: settings, peerAddress: address.description,
      logger: logger, tls: tls, pendingCiphertext: unsent)
    do {
      try connection.start()
      completion(.success(connection))
    } catch {
      completion(.failure(.system(error)))
    }
  }

  func loopStopped() {
    fail(.system(SystemError(function: "connect", errno: ECANCELED)))
  }

  private func fail(_ error: HTTP2ConnectError) {
    guard let completion else { return }
    self.completion = nil
    stopWaiting()
    Syscall.close(fd)
    completion(.failure(error))
  }

  private func stopWaiting() {
    if registered { loop.unregister(fd: fd) }
    registered = false
    if let timer { loop.cancelTimer(timer) }
    timer = nil
  }
}
