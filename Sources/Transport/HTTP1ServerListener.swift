import Logging

/// The listening socket of an `HTTP1Server` and its open connections, on the server's loop.
///
/// A plain `TCPListener` (no SO_REUSEPORT: a second process asking for the same admin port must
/// fail rather than silently share it). At most `maxConnections` are open; more are closed as
/// soon as they are accepted. Loop-thread confined after `start()`.
final class HTTP1ServerListener: @unchecked Sendable {
  // @unchecked Sendable: created on the starting thread, then touched only on `loop`'s thread
  // (the server reaches it through `loop.execute`).
  let loop: EventLoop
  private let limits: HTTP1ServerConnection.Limits
  private let maxConnections: Int
  private let handler: HTTP1Server.Handler
  private let logger: Logger
  private var connections: [ObjectIdentifier: HTTP1ServerConnection] = [:]
  /// Set at the end of `init` (its accept callback needs `self`).
  private var socket: TCPListener!

  /// Creates, binds and listens (not yet registered with the loop).
  init(
    address: SocketAddress, backlog: Int32, loop: EventLoop,
    limits: HTTP1ServerConnection.Limits, maxConnections: Int,
    handler: @escaping HTTP1Server.Handler, logger: Logger
  ) throws(SystemError) {
    self.loop = loop
    self.limits = limits
    self.maxConnections = maxConnections
    self.handler = handler
    self.logger = logger
    socket = try TCPListener(address: address, backlog: backlog, loop: loop, logger: logger) {
      [unowned self] client in accepted(client)
    }
  }

  /// The bound address (with the kernel's port when bound to port 0).
  func localAddress() throws(SystemError) -> SocketAddress {
    try socket.localAddress()
  }

  /// Starts accepting. Loop thread only.
  func start() {
    do {
      try socket.start()
    } catch {
      logger.error("admin server cannot accept: \(error)")
    }
  }

  /// Closes the listening socket of a server that never started accepting.
  func discard() {
    socket.discard()
  }

  /// Stops accepting and closes every connection. Loop thread only.
  func close() {
    socket.close()
    for connection in Array(connections.values) {
      connection.close()
    }
  }

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
}
