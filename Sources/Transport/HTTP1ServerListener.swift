import Glibc
import Logging

/// The listening socket of an `HTTP1Server` and its open connections, on the server's loop.
///
/// Unlike the gRPC listeners it does not set SO_REUSEPORT: a second process asking for the same
/// admin port must fail rather than silently share it. At most `maxConnections` are open; more
/// are closed as soon as they are accepted. Loop-thread confined after `start()`.
final class HTTP1ServerListener: Selectable, @unchecked Sendable {
  // @unchecked Sendable: created on the starting thread, then touched only on `loop`'s thread
  // (the server reaches it through `loop.execute`).
  let loop: EventLoop
  private let fd: Int32
  private let limits: HTTP1ServerConnection.Limits
  private let maxConnections: Int
  private let handler: HTTP1Server.Handler
  private let logger: Logger
  private var connections: [ObjectIdentifier: HTTP1ServerConnection] = [:]
  private var isClosed = false
  private var paused = false

  /// Creates, binds and listens (not yet registered with the loop).
  init(
    address: SocketAddress, backlog: Int32, loop: EventLoop,
    limits: HTTP1ServerConnection.Limits, maxConnections: Int,
    handler: @escaping HTTP1Server.Handler, logger: Logger
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
    self.limits = limits
    self.maxConnections = maxConnections
    self.handler = handler
    self.logger = logger
  }

  /// The bound address (with the kernel's port when bound to port 0).
  func localAddress() throws(SystemError) -> SocketAddress {
    try Syscall.localAddress(fd)
  }

  /// Starts accepting. Loop thread only.
  func start() {
    do {
      try loop.register(fd: fd, handler: self)
    } catch {
      logger.error("admin server cannot accept: \(error)")
    }
  }

  /// Closes the listening socket of a server that never started accepting.
  func discard() {
    Syscall.close(fd)
  }

  /// Stops accepting and closes every connection. Loop thread only.
  func close() {
    guard !isClosed else { return }
    isClosed = true
    if !paused { loop.unregister(fd: fd) }
    Syscall.close(fd)
    for connection in Array(connections.values) {
      connection.close()
    }
  }

  func readable() {
    while !isClosed && !paused {
      let client: Int32
      do {
        guard case .processed(let accepted) = try Syscall.accept(fd) else { return }
        client = accepted
      } catch {
        switch error.errno {
        case ECONNABORTED, EPROTO, EPERM:
          continue
        case EMFILE, ENFILE, ENOBUFS, ENOMEM:
          logger.error("admin accept failed, pausing for 100 ms: \(error)")
          pause()
        default:
          logger.error("admin accept failed: \(error)")
        }
        return
      }
      accepted(client)
    }
  }

  func writable() {}

  private func accepted(_ client: Int32) {
    guard connections.count < maxConnections else {
      logger.warning("admin server: \(maxConnections) connections open, refusing one more")
      Syscall.close(client)
      return
    }
    let peer = (try? Syscall.peerAddress(client))?.description ?? "unknown"
    let connection = HTTP1ServerConnection(
      fd: client, loop: loop, limits: limits, handler: handler, peerAddress: peer, logger: logger
    ) { [unowned self] connection in
      connections.removeValue(forKey: ObjectIdentifier(connection))
    }
    connections[ObjectIdentifier(connection)] = connection
    do {
      try connection.start()
    } catch {
      logger.warning("admin server cannot serve \(peer): \(error)")
      connection.close()
    }
  }

  private func pause() {
    paused = true
    loop.unregister(fd: fd)
    loop.scheduleTimer(afterNanoseconds: 100_000_000) { [self] in
      paused = false
      guard !isClosed else { return }
      do {
        try loop.register(fd: fd, handler: self)
      } catch {
        logger.error("admin server cannot resume accepting: \(error)")
      }
    }
  }
}
