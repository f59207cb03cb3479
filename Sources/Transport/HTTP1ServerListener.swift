import Logging

/// The listening socket of an `HTTP1Server` and its open connections, on the server's loop.
///
/// A plain `TCPListener` (no SO_REUSEPORT: a second process asking for the same admin port must
/// fail rather than silently share it). At most `maxConnections` are served in full. Past them,
/// up to `priorityReserve` more are accepted for the priority paths only (health probes); when
/// the reserve is full too, its oldest connection still silent is closed to make room, so a
/// probe is answered unless the reserve fills with new connections faster than the probe sends
/// its request line. Refusals are counted and logged at most once per rate-limit interval.
/// Loop-thread confined after `start()`.
final class HTTP1ServerListener: @unchecked Sendable {
  // @unchecked Sendable: created on the starting thread, then touched only on `loop`'s thread
  // (the server reaches it through `loop.execute`).
  let loop: EventLoop
  private let limits: HTTP1ServerConnection.Limits
  private let maxConnections: Int
  private let priorityReserve: Int
  private let handlers: HTTP1Server.Handlers
  private let logger: Logger
  private let counters: HTTP1ServerCounters
  private let logLimiter: LogRateLimiter
  private var connections: [ObjectIdentifier: HTTP1ServerConnection] = [:]
  /// Connections past `maxConnections`, oldest first.
  private var reserve: [HTTP1ServerConnection] = []
  /// Set at the end of `init` (its accept callback needs `self`).
  private var socket: TCPListener!

  /// Creates, binds and listens (not yet registered with the loop).
  init(
    address: SocketAddress, backlog: Int32, loop: EventLoop,
    limits: HTTP1ServerConnection.Limits, maxConnections: Int, priorityReserve: Int,
    handlers: HTTP1Server.Handlers, logger: Logger, counters: HTTP1ServerCounters,
    logLimiter: LogRateLimiter
  ) throws(SystemError) {
    self.loop = loop
    self.limits = limits
    self.maxConnections = maxConnections
    // Without priority paths a reserved connection could answer nothing.
    self.priorityReserve = limits.priorityPaths.isEmpty ? 0 : priorityReserve
    self.handlers = handlers
    self.logger = logger
    self.counters = counters
    self.logLimiter = logLimiter
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
    for connection in Array(connections.values) + reserve {
      connection.close()
    }
  }

  private func accepted(_ client: Int32) {
    guard connections.count >= maxConnections else {
      serve(client, priorityOnly: false)
      return
    }
    if reserve.count >= priorityReserve, let oldest = reserve.first(where: \.isReadingHead) {
      oldest.close()  // removes itself from `reserve`
      refused()
    }
    guard reserve.count < priorityReserve else {
      Syscall.close(client)
      refused()
      return
    }
    serve(client, priorityOnly: true)
  }

  private func serve(_ client: Int32, priorityOnly: Bool) {
    let peer = (try? Syscall.peerAddress(client))?.description ?? "unknown"
    let connection = HTTP1ServerConnection(
      fd: client, loop: loop, limits: limits, handlers: handlers, peerAddress: peer, logger: logger,
      priorityOnly: priorityOnly, counters: counters
    ) { [unowned self] connection in
      if connection.priorityOnly {
        reserve.removeAll { $0 === connection }
      } else {
        connections.removeValue(forKey: ObjectIdentifier(connection))
      }
    }
    if priorityOnly {
      reserve.append(connection)
    } else {
      connections[ObjectIdentifier(connection)] = connection
    }
    do {
      try connection.start()
    } catch {
      logger.warning("admin server cannot serve \(peer): \(error)")
      connection.close()
    }
  }

  private func refused() {
    counters.recordRefused()
    logLimiter.log(
      .warning, kind: "admin.connection_refused", to: logger,
      "admin server: connection limit reached, refusing connections",
      metadata: ["max_connections": "\(maxConnections)", "priority_reserve": "\(priorityReserve)"])
  }
}
