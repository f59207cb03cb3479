import CNGHTTP2
import Glibc
import Logging

extension HTTP2Connection {
  /// Opens a client connection (h2c with prior knowledge) to `address` from `loop`, and calls
  /// `completion` on the loop with the started connection or the failure (ETIMEDOUT after
  /// `timeoutNanoseconds`). Loop thread only.
  public static func connect(
    to address: SocketAddress, on loop: EventLoop, settings: HTTP2Settings = HTTP2Settings(),
    timeoutNanoseconds: UInt64, logger: Logger,
    completion: @escaping (Result<HTTP2Connection, SystemError>) -> Void
  ) {
    loop.assertInEventLoop()
    let fd: Int32
    do {
      fd = try Syscall.socket(domain: address.family, type: Int32(SOCK_STREAM.rawValue))
    } catch {
      completion(.failure(error))
      return
    }
    let attempt = HTTP2ConnectAttempt(
      fd: fd, address: address, loop: loop, settings: settings, logger: logger,
      completion: completion)
    attempt.begin(timeoutNanoseconds: timeoutNanoseconds)
  }

  /// Whether a client may open new streams (not closed, no GOAWAY sent or received).
  public var canOpenStreams: Bool {
    guard !isClosed, let session = sessionForChecks else { return false }
    return nghttp2_session_check_request_allowed(session) != 0
  }
}

/// One non-blocking connect in progress: waits for writability, checks SO_ERROR, then hands
/// the socket to a client `HTTP2Connection`. Loop-thread confined.
private final class HTTP2ConnectAttempt: Selectable {
  private let fd: Int32
  private let address: SocketAddress
  private let loop: EventLoop
  private let settings: HTTP2Settings
  private let logger: Logger
  private var completion: ((Result<HTTP2Connection, SystemError>) -> Void)?
  private var timer: TimerID?

  init(
    fd: Int32, address: SocketAddress, loop: EventLoop, settings: HTTP2Settings, logger: Logger,
    completion: @escaping (Result<HTTP2Connection, SystemError>) -> Void
  ) {
    self.fd = fd
    self.address = address
    self.loop = loop
    self.settings = settings
    self.logger = logger
    self.completion = completion
  }

  func begin(timeoutNanoseconds: UInt64) {
    do {
      switch try Syscall.connect(fd, address) {
      case .processed:
        connected()
      case .wouldBlock:
        try loop.register(fd: fd, handler: self, writable: true)
        timer = loop.scheduleTimer(afterNanoseconds: timeoutNanoseconds) { [self] in
          timer = nil
          fail(SystemError(function: "connect", errno: ETIMEDOUT))
        }
      }
    } catch {
      fail(error)
    }
  }

  func readable() {
    writable()
  }

  func writable() {
    guard completion != nil else { return }
    do {
      let code = try Syscall.socketError(fd)
      guard code == 0 else {
        fail(SystemError(function: "connect", errno: code))
        return
      }
    } catch {
      fail(error)
      return
    }
    connected()
  }

  private func connected() {
    guard let completion else { return }
    self.completion = nil
    stopWaiting()
    try? Syscall.setIntOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
    let connection = HTTP2Connection(
      fd: fd, role: .client, loop: loop, settings: settings, peerAddress: address.description,
      logger: logger)
    do {
      try connection.start()
      completion(.success(connection))
    } catch {
      completion(.failure(error))
    }
  }

  private func fail(_ error: SystemError) {
    guard let completion else { return }
    self.completion = nil
    stopWaiting()
    Syscall.close(fd)
    completion(.failure(error))
  }

  private func stopWaiting() {
    loop.unregister(fd: fd)
    if let timer { loop.cancelTimer(timer) }
    timer = nil
  }
}
