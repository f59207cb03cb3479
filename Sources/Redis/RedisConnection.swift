import Glibc
import Transport

/// One TCP connection to Redis (over TLS when given a session) on an event loop, pipelining
/// command batches: each batch's commands are written back to back and its replies, which Redis
/// sends in order, are handed to its completion together. Loop-thread confined.
///
/// The connection never blocks: connect, writes and reads wait for readiness. Writes of one loop
/// iteration are coalesced and sent at its end. With TLS the handshake starts once TCP is
/// connected and commands wait for it. When the socket or the handshake fails or the socket
/// closes, every waiting batch fails and `onClose` is called once.
final class RedisConnection: Selectable, EndOfTickWork {
  /// A batch waiting for its replies. A completion is taken out when it is answered or gives up
  /// (times out), after which its replies are still read and dropped.
  final class Batch {
    let expected: Int
    var replies: [RESPValue] = []
    var completion: ((Result<[RESPValue], RedisError>) -> Void)?

    init(expected: Int, completion: @escaping (Result<[RESPValue], RedisError>) -> Void) {
      self.expected = expected
      self.completion = completion
    }

    func finish(_ result: Result<[RESPValue], RedisError>) {
      guard let completion else { return }
      self.completion = nil
      completion(result)
    }
  }

  private let fd: Int32
  private let tls: TLSSession?
  private let loop: EventLoop
  private let onClose: (RedisError) -> Void
  private var connected = false
  private var closed = false
  private var decoder = RESPDecoder()
  /// Bytes for the socket: commands, or with TLS their records.
  private var output: [UInt8] = []
  /// With TLS: commands not yet encrypted (until the handshake completes).
  private var plaintext: [UInt8] = []
  private var outputOffset = 0
  private var flushScheduled = false
  private var wantsWritable = false
  private var waiting: [Batch] = []
  private var waitingStart = 0

  /// Batches sent and not yet fully answered (timed-out ones included).
  var pendingBatches: Int { waiting.count - waitingStart }

  /// Starts connecting to `address`, through `tls` when given; `onClose` is called on the loop
  /// when the connection ends.
  init(
    to address: SocketAddress, tls: TLSSession?, on loop: EventLoop,
    onClose: @escaping (RedisError) -> Void
  ) throws(SystemError) {
    self.tls = tls
    self.loop = loop
    self.onClose = onClose
    fd = try Syscall.socket(domain: address.family, type: Int32(SOCK_STREAM.rawValue))
    do {
      switch try Syscall.connect(fd, address) {
      case .processed:
        try loop.register(fd: fd, handler: self)
        loop.runAtEndOfTick(self)
        flushScheduled = true
      case .wouldBlock:
        try loop.register(fd: fd, handler: self, writable: true)
        wantsWritable = true
      }
    } catch {
      Syscall.close(fd)
      throw error
    }
    try? Syscall.setIntOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
  }

  /// Whether the TCP connect (and the TLS handshake) finished.
  var isConnected: Bool { connected && !closed && (tls?.isHandshakeComplete ?? true) }

  /// Queues `commands` as one batch; they go out at the end of this loop iteration (or once
  /// connected).
  func send(_ commands: [[[UInt8]]], batch: Batch) {
    loop.assertInEventLoop()
    guard !closed else {
      batch.finish(.failure(.connectionLost("closed")))
      return
    }
    for command in commands {
      if tls == nil {
        RESPEncoder.append(command, to: &output)
      } else {
        RESPEncoder.append(command, to: &plaintext)
      }
    }
    waiting.append(batch)
    if connected, !flushScheduled {
      flushScheduled = true
      loop.runAtEndOfTick(self)
    }
  }

  /// Closes the socket and fails what waits, without calling `onClose`.
  func close() {
    guard !closed else { return }
    closed = true
    loop.unregister(fd: fd)
    Syscall.close(fd)
    failWaiting(.connectionLost("closed"))
  }

  func loopStopped() {
    close()
  }

  // MARK: - Events

  func runAtEndOfTick() {
    flushScheduled = false
    guard !closed else { return }
    if !connected {
      tcpConnected()
    } else {
      flush()
    }
  }

  func readable() {
    guard !closed else { return }
    guard connected else {
      writable()
      return
    }
    let buffer = loop.readBuffer
    for _ in 0..<4 {
      let result: IOResult<Int>
      do {
        result = try Syscall.read(fd, buffer)
      } catch {
        fail(.connectionLost("\(error)"))
        return
      }
      guard case .processed(let count) = result else { return }
      if count == 0 {
        fail(.connectionLost("closed by Redis"))
        return
      }
      let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<count])
      if let tls {
        guard decrypt(bytes, with: tls) else { return }
      } else {
        decoder.append(bytes)
      }
      guard deliverReplies() else { return }
      if count < buffer.count { return }
    }
  }

  func writable() {
    guard !closed else { return }
    if !connected {
      let code = (try? Syscall.socketError(fd)) ?? EIO
      guard code == 0 else {
        fail(.unavailable("connect: \(String(cString: strerror(code)))"))
        return
      }
      tcpConnected()
      return
    }
    flush()
  }

  // MARK: - Internals

  /// TCP is up: send what waits, or with TLS start the handshake.
  private func tcpConnected() {
    connected = true
    if tls != nil {
      advanceHandshake()
    } else {
      flush()
    }
  }

  /// Runs the TLS handshake as far as the bytes read allow and sends its records; once it
  /// completes the waiting commands go out. False when it failed (the connection is closed).
  @discardableResult
  private func advanceHandshake() -> Bool {
    guard let tls else { return true }
    do {
      _ = try tls.handshake()
    } catch {
      // The records may hold an alert telling Redis why.
      tls.takeCiphertextToSend(appendingTo: &output)
      flush()
      fail(.unavailable("TLS handshake: \(error)"))
      return false
    }
    flush()
    return !closed
  }

  /// Feeds bytes read to the TLS session and the plaintext to the decoder. False when the
  /// connection failed or Redis closed it.
  private func decrypt(_ bytes: UnsafeRawBufferPointer, with tls: TLSSession) -> Bool {
    tls.feedCiphertext(bytes)
    if !tls.isHandshakeComplete {
      guard advanceHandshake() else { return false }
      guard tls.isHandshakeComplete else { return true }
    }
    do {
      try tls.readPlaintext { decoder.append($0) }
    } catch {
      fail(.connectionLost("TLS: \(error)"))
      return false
    }
    if tls.hasCiphertextToSend { flush() }
    if tls.receivedCloseNotify {
      // Replies that came before the close are still answers.
      guard deliverReplies() else { return false }
      fail(.connectionLost("closed by Redis"))
      return false
    }
    return !closed
  }

  /// Hands each whole reply to the oldest waiting batch; false when the connection failed.
  private func deliverReplies() -> Bool {
    while true {
      let reply: RESPValue?
      do {
        reply = try decoder.next()
      } catch {
        fail(.protocolViolation(error.message))
        return false
      }
      guard let reply else { return true }
      guard waitingStart < waiting.count else {
        fail(.protocolViolation("reply without a command"))
        return false
      }
      let batch = waiting[waitingStart]
      batch.replies.append(reply)
      if batch.replies.count == batch.expected {
        waitingStart += 1
        if waitingStart > 64, waitingStart * 2 > waiting.count {
          waiting.removeFirst(waitingStart)
          waitingStart = 0
        }
        batch.finish(.success(batch.replies))
        if closed { return false }
      }
    }
  }

  private func flush() {
    guard connected, !closed else { return }
    if let tls {
      if tls.isHandshakeComplete, !plaintext.isEmpty {
        do {
          try tls.write(plaintext)
        } catch {
          fail(.connectionLost("TLS: \(error)"))
          return
        }
        plaintext.removeAll(keepingCapacity: plaintext.count <= 64 << 10)
      }
      tls.takeCiphertextToSend(appendingTo: &output)
    }
    while outputOffset < output.count {
      let result: IOResult<Int>
      do {
        result = try output.withUnsafeBytes { bytes throws(SystemError) in
          try Syscall.write(fd, UnsafeRawBufferPointer(rebasing: bytes[outputOffset...]))
        }
      } catch {
        fail(.connectionLost("\(error)"))
        return
      }
      guard case .processed(let count) = result else { break }
      outputOffset += count
    }
    if outputOffset == output.count {
      output.removeAll(keepingCapacity: output.count <= 64 << 10)
      outputOffset = 0
    }
    let needsWritable = outputOffset < output.count
    if needsWritable != wantsWritable {
      wantsWritable = needsWritable
      try? loop.setWritable(fd: fd, needsWritable)
    }
  }

  private func fail(_ error: RedisError) {
    guard !closed else { return }
    closed = true
    loop.unregister(fd: fd)
    Syscall.close(fd)
    failWaiting(error)
    onClose(error)
  }

  private func failWaiting(_ error: RedisError) {
    let batches = waiting[waitingStart...]
    waiting = []
    waitingStart = 0
    for batch in batches { batch.finish(.failure(error)) }
  }
}

@available(*, unavailable)
extension RedisConnection: Sendable {}
