import CNGHTTP2
import Glibc
import Logging
import Synchronization

/// Accepts h2c (prior knowledge) connections on every loop of a group and drains them on
/// shutdown.
///
/// Each loop owns one SO_REUSEPORT listening socket bound to the same address; the kernel
/// spreads connections over them, and a connection lives on the loop that accepted it.
public final class HTTP2Server: Sendable {
  /// Where and how to listen.
  public struct Configuration: Sendable {
    public var host: String
    public var port: Int
    public var backlog: Int32 = 1024
    public var settings = HTTP2Settings()

    public init(host: String, port: Int) {
      self.host = host
      self.port = port
    }
  }

  /// Makes the delegate of each accepted connection (called on the connection's loop).
  public typealias DelegateFactory = @Sendable (HTTP2Connection) -> any HTTP2ConnectionDelegate

  private struct State {
    var loops: [HTTP2ServerLoop] = []
    var address: SocketAddress?
    var drainingLoops = 0
    var onDrained: (@Sendable () -> Void)?
  }

  public let configuration: Configuration
  public let group: EventLoopGroup
  private let logger: Logger
  private let makeDelegate: DelegateFactory
  private let state = Mutex(State())

  public init(
    configuration: Configuration, group: EventLoopGroup, logger: Logger,
    makeDelegate: @escaping DelegateFactory
  ) {
    self.configuration = configuration
    self.group = group
    self.logger = logger
    self.makeDelegate = makeDelegate
  }

  /// The address the server listens on (with the real port when configured with port 0).
  public var localAddress: SocketAddress? { state.withLock { $0.address } }

  /// Binds one listening socket per loop and starts accepting; returns the bound address.
  @discardableResult
  public func start() throws -> SocketAddress {
    var address = try SocketAddress.resolve(host: configuration.host, port: configuration.port)
    var loops: [HTTP2ServerLoop] = []
    do {
      for loop in group.loops {
        let serverLoop = try HTTP2ServerLoop(
          server: self, loop: loop, address: address, backlog: configuration.backlog,
          settings: configuration.settings, logger: logger, makeDelegate: makeDelegate)
        if loops.isEmpty {
          // With port 0 the first socket picks a port; the others must share it.
          address = try serverLoop.boundAddress()
        }
        loops.append(serverLoop)
      }
    } catch {
      for serverLoop in loops { serverLoop.discard() }
      throw error
    }
    state.withLock { state in
      state.loops = loops
      state.address = address
    }
    for serverLoop in loops {
      serverLoop.loop.execute { serverLoop.startAccepting() }
    }
    return address
  }

  /// Stops accepting, sends GOAWAY on every connection, and lets open streams finish for up to
  /// `drainTimeoutNanoseconds`; then closes what is left and calls `onDrained` (on some loop
  /// thread). Any thread; later calls are ignored.
  public func beginGracefulShutdown(
    drainTimeoutNanoseconds: UInt64, onDrained: @escaping @Sendable () -> Void
  ) {
    let loops = state.withLock { state -> [HTTP2ServerLoop] in
      guard state.onDrained == nil else { return [] }
      state.onDrained = onDrained
      state.drainingLoops = state.loops.count
      return state.loops
    }
    if loops.isEmpty {
      let alreadyDraining = state.withLock { $0.drainingLoops > 0 }
      if !alreadyDraining { onDrained() }
      return
    }
    for serverLoop in loops {
      serverLoop.loop.execute { serverLoop.beginDrain(timeoutNanoseconds: drainTimeoutNanoseconds) }
    }
  }

  /// A loop has no connections left after a drain began.
  func loopDrained() {
    let onDrained = state.withLock { state -> (@Sendable () -> Void)? in
      state.drainingLoops -= 1
      return state.drainingLoops == 0 ? state.onDrained : nil
    }
    onDrained?()
  }
}

/// One loop's share of an `HTTP2Server`: its listener and its connections.
final class HTTP2ServerLoop: @unchecked Sendable {
  // @unchecked Sendable: created on the starting thread, then touched only on `loop`'s thread.
  let loop: EventLoop
  private unowned let server: HTTP2Server
  private let settings: HTTP2Settings
  private let logger: Logger
  private let makeDelegate: HTTP2Server.DelegateFactory
  private var listener: TCPListener?
  private var connections: [ObjectIdentifier: HTTP2Connection] = [:]
  private var draining = false
  private var drainReported = false

  init(
    server: HTTP2Server, loop: EventLoop, address: SocketAddress, backlog: Int32,
    settings: HTTP2Settings, logger: Logger, makeDelegate: @escaping HTTP2Server.DelegateFactory
  ) throws {
    self.server = server
    self.loop = loop
    self.settings = settings
    self.logger = logger
    self.makeDelegate = makeDelegate
    listener = nil
    listener = try TCPListener(address: address, backlog: backlog, loop: loop, logger: logger) {
      [unowned self] fd in accepted(fd)
    }
  }

  func boundAddress() throws -> SocketAddress {
    try listener!.localAddress()
  }

  /// Closes the listening socket of a server that failed to start (never registered).
  func discard() {
    if let listener { Syscall.close(listener.fd) }
    listener = nil
  }

  func startAccepting() {
    guard let listener, !draining else { return }
    do {
      try listener.start()
    } catch {
      logger.error("cannot accept on loop \(loop.index): \(error)")
    }
  }

  private func accepted(_ fd: Int32) {
    if draining {
      Syscall.close(fd)
      return
    }
    try? Syscall.setIntOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
    let peer = (try? Syscall.peerAddress(fd))?.description ?? "unknown"
    let connection = HTTP2Connection(
      fd: fd, role: .server, loop: loop, settings: settings, peerAddress: peer, logger: logger)
    connection.delegate = makeDelegate(connection)
    connection.onClose = { [unowned self] connection in
      connections.removeValue(forKey: ObjectIdentifier(connection))
      connection.logger.debug("connection closed")
      reportIfDrained()
    }
    connections[ObjectIdentifier(connection)] = connection
    do {
      try connection.start()
      connection.logger.debug("connection accepted")
    } catch {
      connections.removeValue(forKey: ObjectIdentifier(connection))
      logger.warning("cannot start connection from \(peer): \(error)")
    }
  }

  func beginDrain(timeoutNanoseconds: UInt64) {
    draining = true
    listener?.close()
    listener = nil
    for connection in connections.values {
      connection.beginGracefulShutdown()
    }
    loop.scheduleTimer(afterNanoseconds: timeoutNanoseconds) { [self] in
      if !connections.isEmpty {
        logger.warning(
          "drain timeout: closing \(connections.count) connection(s) on loop \(loop.index)")
      }
      for connection in Array(connections.values) {
        connection.close()
      }
    }
    reportIfDrained()
  }

  private func reportIfDrained() {
    guard draining, connections.isEmpty, !drainReported else { return }
    drainReported = true
    server.loopDrained()
  }
}
