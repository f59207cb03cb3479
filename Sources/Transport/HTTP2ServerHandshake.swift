import Glibc
import Logging

/// The TLS handshake of one accepted connection, before it becomes a server
/// `HTTP2Connection`: reads the client's records, sends the server's, and requires the client
/// to have agreed to `h2` when it offered ALPN. Loop-thread confined.
final class HTTP2ServerHandshake: Selectable {
  /// A completed session and the records it still has to send, or why the handshake failed.
  typealias Completion = (Result<(TLSSession, [UInt8]), TLSError>) -> Void

  let fd: Int32
  private let loop: EventLoop
  private let session: TLSSession
  private var completion: Completion?
  private var timer: TimerID?
  private var registered = false
  /// Handshake records not yet accepted by the socket.
  private var pending: [UInt8] = []
  private var pendingOffset = 0
  private var wantsWritable = false

  init(fd: Int32, loop: EventLoop, session: TLSSession, completion: @escaping Completion) {
    self.fd = fd
    self.loop = loop
    self.session = session
    self.completion = completion
  }

  /// Registers the socket and waits for the client's hello, for at most `timeoutNanoseconds`.
  func begin(timeoutNanoseconds: UInt64) {
    do {
      try loop.register(fd: fd, handler: self)
      registered = true
    } catch {
      fail(TLSError(.handshake, "cannot wait for the handshake: \(error)"))
      return
    }
    timer = loop.scheduleTimer(afterNanoseconds: timeoutNanoseconds) { [self] in
      timer = nil
      fail(TLSError(.handshake, "no TLS handshake within the preface timeout"))
    }
  }

  /// Ends the handshake as failed (e.g. the server drains); the caller closes the socket.
  func cancel() {
    fail(TLSError(.handshake, "the server is shutting down"))
  }

  func loopStopped() {
    cancel()
  }

  func readable() {
    guard completion != nil else { return }
    let outcome = SocketReader.read(fd, into: loop.readBuffer) { bytes in
      session.feedCiphertext(bytes)
      return true
    }
    switch outcome {
    case .drained, .capped, .stopped:
      advance()
    case .endOfStream:
      fail(TLSError(.handshake, "the client closed the connection during the handshake"))
    case .failed(let error):
      fail(TLSError(.handshake, "read failed during the handshake: \(error)"))
    }
  }

  func writable() {
    guard completion != nil else { return }
    sendPending()
  }

  private func advance() {
    let progress: TLSSession.HandshakeProgress
    do {
      progress = try session.handshake()
    } catch {
      // The session may hold an alert that tells the client why: send it if the socket takes it.
      session.takeCiphertextToSend(appendingTo: &pending)
      if pendingOffset < pending.count {
        _ = pending.withUnsafeBytes { bytes in
          try? Syscall.write(fd, UnsafeRawBufferPointer(rebasing: bytes[pendingOffset...]))
        }
      }
      fail(error)
      return
    }
    session.takeCiphertextToSend(appendingTo: &pending)
    switch progress {
    case .needsMoreCiphertext:
      sendPending()
    case .complete:
      if let agreed = session.negotiatedALPN, agreed != "h2" {
        fail(TLSError(.handshake, "the client agreed to '\(agreed)' by ALPN, not h2"))
        return
      }
      succeed()
    }
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
      switch result {
      case .success(.processed(let written)):
        pendingOffset += written
        continue
      case .success(.wouldBlock):
        break
      case .failure(let error):
        fail(TLSError(.handshake, "write failed during the handshake: \(error)"))
        return
      }
      break
    }
    if pendingOffset == pending.count {
      pending.removeAll(keepingCapacity: true)
      pendingOffset = 0
    }
    let wants = pendingOffset < pending.count
    guard wants != wantsWritable else { return }
    wantsWritable = wants
    do {
      try loop.setWritable(fd: fd, wants)
    } catch {
      fail(TLSError(.handshake, "cannot wait for the socket: \(error)"))
    }
  }

  private func succeed() {
    guard let completion else { return }
    self.completion = nil
    stopWaiting()
    let unsent = pendingOffset < pending.count ? Array(pending[pendingOffset...]) : []
    completion(.success((session, unsent)))
  }

  private func fail(_ error: TLSError) {
    guard let completion else { return }
    self.completion = nil
    stopWaiting()
    completion(.failure(error))
  }

  private func stopWaiting() {
    if registered { loop.unregister(fd: fd) }
    registered = false
    if let timer { loop.cancelTimer(timer) }
    timer = nil
  }
}
