import Glibc
import Logging

/// A non-blocking listening TCP socket on one loop; hands each accepted socket to `onAccept`.
/// Loop-thread confined once started.
///
/// It holds one descriptor in reserve (libev's and nginx's trick): when accept fails because
/// the process is out of descriptors, it closes the reserve, accepts the waiting connections and
/// closes each at once (their clients see the connection end instead of hanging in the backlog),
/// reopens the reserve, and pauses accepting for a moment. Paused, it stays registered with the
/// loop (only its interest in readability is off), so a loop that stops meanwhile still closes
/// it through `loopStopped()`.
final class TCPListener: Selectable {
  let loop: EventLoop
  let fd: Int32
  private let logger: Logger
  // Dropped on close: they refer back to the server, which holds this listener.
  private var onAccept: ((Int32) -> Void)?
  private var onDescriptorsExhausted: (() -> Void)?
  private var reserveFD: Int32?
  private var isClosed = false
  private var paused = false

  /// The most connections closed through the reserve per readiness event, so a flood of new
  /// connections cannot keep the loop thread in that loop.
  private static let maxShedPerEvent = 4096

  /// Creates, binds and starts listening (does not register with the loop yet).
  /// `onDescriptorsExhausted` is called for each connection closed through the reserve.
  init(
    address: SocketAddress, backlog: Int32, loop: EventLoop, logger: Logger,
    onDescriptorsExhausted: @escaping () -> Void = {}, onAccept: @escaping (Int32) -> Void
  ) throws(SystemError) {
    let fd = try Syscall.socket(domain: address.family, type: Int32(SOCK_STREAM.rawValue))
    do {
      try Syscall.setIntOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
      try Syscall.bind(fd, address)
      try Syscall.listen(fd, backlog: backlog)
    } catch {
      Syscall.close(fd)
      throw error
    }
    self.fd = fd
    self.loop = loop
    self.logger = logger
    self.onAccept = onAccept
    self.onDescriptorsExhausted = onDescriptorsExhausted
    reserveFD = Syscall.openReserveDescriptor()
  }

  /// The bound address (with the kernel's port when bound to port 0).
  func localAddress() throws(SystemError) -> SocketAddress {
    try Syscall.localAddress(fd)
  }

  /// Starts accepting on the loop. Loop thread only.
  func start() throws(SystemError) {
    try loop.register(fd: fd, handler: self)
  }

  /// Closes the socket of a listener that never started.
  func discard() {
    isClosed = true
    Syscall.close(fd)
    closeReserve()
    dropCallbacks()
  }

  /// Stops accepting and closes the socket. Loop thread only.
  func close() {
    loop.assertInEventLoop()
    guard !isClosed else { return }
    isClosed = true
    loop.unregister(fd: fd)
    Syscall.close(fd)
    closeReserve()
    dropCallbacks()
  }

  private func dropCallbacks() {
    onAccept = nil
    onDescriptorsExhausted = nil
  }

  func loopStopped() {
    close()
  }

  func readable() {
    while !isClosed && !paused {
      do {
        guard case .processed(let client) = try Syscall.accept(fd) else { return }
        onAccept?(client)
      } catch {
        switch error.errno {
        case ECONNABORTED, EPROTO, EPERM:
          continue
        case EMFILE, ENFILE:
          let shed = shedWithReserve()
          logger.error(
            "accept failed, closed \(shed) waiting connection(s), pausing for 100 ms: \(error)")
          pause()
        case ENOBUFS, ENOMEM:
          // Out of memory: stop accepting for a moment instead of spinning.
          logger.error("accept failed, pausing for 100 ms: \(error)")
          pause()
        default:
          logger.error("accept failed: \(error)")
        }
        return
      }
    }
  }

  func writable() {}

  /// Out of descriptors: frees the reserve, with it accepts and closes every waiting connection
  /// (each takes the one free descriptor in turn), and takes the reserve back. Returns how many
  /// were closed.
  private func shedWithReserve() -> Int {
    guard let reserve = reserveFD else { return 0 }
    Syscall.close(reserve)
    reserveFD = nil
    var shed = 0
    while shed < Self.maxShedPerEvent, case .processed(let client)? = try? Syscall.accept(fd) {
      onDescriptorsExhausted?()
      Syscall.close(client)
      shed += 1
    }
    reserveFD = Syscall.openReserveDescriptor()
    return shed
  }

  private func closeReserve() {
    if let reserveFD { Syscall.close(reserveFD) }
    reserveFD = nil
  }

  /// Stops accepting for 100 ms (internal: tests pause it as a failed accept would).
  func pause() {
    paused = true
    // Still registered: `loopStopped()` must reach a listener the loop stops during the pause.
    setInterest(readable: false)
    loop.scheduleTimer(afterNanoseconds: 100_000_000) { [self] in
      paused = false
      guard !isClosed else { return }
      setInterest(readable: true)
    }
  }

  private func setInterest(readable: Bool) {
    do {
      try loop.setInterest(fd: fd, readable: readable, writable: false)
    } catch {
      logger.error("cannot \(readable ? "resume" : "pause") accepting: \(error)")
    }
  }
}

@available(*, unavailable)
extension TCPListener: Sendable {}
