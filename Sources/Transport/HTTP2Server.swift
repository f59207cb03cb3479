import Glibc
import Logging
import Synchronization

/// Accepts h2c (prior knowledge) connections, or HTTP/2 over TLS when configured with `tls`,
/// and serves them on every loop of a group; drains them on shutdown.
///
/// One listening socket on the first loop accepts, and hands each connection to the loops in
/// turn, where it then lives. (SO_REUSEPORT sockets per loop would spare the hand-off, but they
/// let a second server of the same user bind the same port silently and steal connections; the
/// hand-off costs one task per connection, and Envoy keeps its connections for long.)
///
/// It enforces `HTTP2ServerLimits`: connections past the cap are closed as they are accepted,
/// and each connection its timeouts (preface, idle, stream idle, maximum age).
public final class HTTP2Server: Sendable {
  /// Where and how to listen.
  public struct Configuration: Sendable {
    public var host: String
    public var port: Int
    public var backlog: Int32 = 1024
    public var settings = HTTP2Settings()
    /// Timeouts and the connection cap.
    public var limits = HTTP2ServerLimits()
    /// TLS for every connection (ALPN h2; mutual TLS with a client CA file); nil serves h2c.
    /// The handshake must finish within `limits.prefaceTimeout` (10 s when that is off).
    public var tls: TLSServerConfiguration?

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

  /// Binds the one listening socket (on the first loop) and starts accepting; returns the bound
  /// address.
  @discardableResult
  public func start() throws -> SocketAddress {
    let requested = try SocketAddress.resolve(host: configuration.host, port: configuration.port)
    let tlsContext = try configuration.tls.map { tls throws(TLSError) in
      try TLSContext(server: tls)
    }
    let loops = group.loops.map { loop in
      HTTP2ServerLoop(
        server: self, loop: loop, settings: configuration.settings,
        limits: configuration.limits, tls: tlsContext, logger: logger,
        makeDelegate: makeDelegate)
    }
    let limits = configuration.limits
    // Runs on the first loop: refuse past the cap, else pass the connection to the next loop in
    // turn.
    let accept: (Int32) -> Void = { [group] fd in
      guard limits.counters.admitConnection(limit: limits.maxConnections) else {
        limits.counters.recordClose(.maxConnections)
        Syscall.close(fd)
        return
      }
      let target = loops[group.next().index]
      if target.loop.inEventLoop {
        target.adopt(fd)
      } else {
        target.loop.execute { target.adopt(fd) }
      }
    }
    let listener = try TCPListener(
      address: requested, backlog: configuration.backlog, loop: group.loops[0], logger: logger,
      onDescriptorsExhausted: { limits.counters.recordClose(.descriptorsExhausted) },
      onAccept: accept)
    let address: SocketAddress
    do {
      address = try listener.localAddress()
    } catch {
      listener.discard()
      throw error
    }
    loops[0].listener = listener
    state.withLock { state in
      state.loops = loops
      state.address = address
    }
    let first = loops[0]
    first.loop.execute { first.startAccepting() }
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

/// One loop's share of an `HTTP2Server`: its connections (and, on the first loop, the
/// listening socket).
final class HTTP2ServerLoop: @unchecked Sendable {
  // @unchecked Sendable: created on the starting thread, then touched only on `loop`'s thread.
  let loop: EventLoop
  private unowned let server: HTTP2Server
  private let settings: HTTP2Settings
  private let limits: HTTP2ServerLimits
  private let tls: TLSContext?
  private let logger: Logger
  private let makeDelegate: HTTP2Server.DelegateFactory
  var listener: TCPListener?
  private var connections: [ObjectIdentifier: HTTP2Connection] = [:]
  /// TLS handshakes in progress, by socket.
  private var handshakes: [Int32: HTTP2ServerHandshake] = [:]
  private var draining = false
  private var drainReported = false

  init(
    server: HTTP2Server, loop: EventLoop, settings: HTTP2Settings, limits: HTTP2ServerLimits,
    tls: TLSContext?, logger: Logger, makeDelegate: @escaping HTTP2Server.DelegateFactory
  ) {
    self.server = server
    self.loop = loop
    self.settings = settings
    self.limits = limits
    self.tls = tls
    self.logger = logger
    self.makeDelegate = makeDelegate
  }

  func startAccepting() {
    guard let listener, !draining else { return }
    do {
      try listener.start()
    } catch {
      logger.error("cannot accept connections: \(error)")
    }
  }

  /// Takes an accepted socket (already counted open) and serves it on this loop.
  func adopt(_ fd: Int32) {
    if draining {
      Syscall.close(fd)
      limits.counters.connectionClosed()
      return
    }
    try? Syscall.setIntOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
    let peer = (try? Syscall.peerAddress(fd))?.description ?? "unknown"
    guard let tls else {
      serve(fd, peer: peer, tls: nil, pendingCiphertext: [])
      return
    }
    let session: TLSSession
    do {
      session = try TLSSession(serverContext: tls)
    } catch {
      refuse(fd, peer: peer, error)
      return
    }
    let handshake = HTTP2ServerHandshake(fd: fd, loop: loop, session: session) {
      [unowned self] outcome in
      handshakes.removeValue(forKey: fd)
      switch outcome {
      case .success(let (session, unsent)):
        serve(fd, peer: peer, tls: session, pendingCiphertext: unsent)
      case .failure(let error):
        refuse(fd, peer: peer, error)
      }
    }
    handshakes[fd] = handshake
    let timeout = limits.prefaceTimeout ?? .seconds(10)
    let (seconds, attoseconds) = timeout.components
    handshake.begin(
      timeoutNanoseconds: UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000))
  }

  /// Closes a connection whose TLS handshake failed (no client certificate, one that does not
  /// verify, a timeout...), counted in `/metrics` unless the drain cut it short.
  private func refuse(_ fd: Int32, peer: String, _ error: TLSError) {
    Syscall.close(fd)
    if !draining { limits.counters.recordClose(.tlsHandshake) }
    limits.counters.connectionClosed()
    logger.debug("TLS handshake failed", metadata: ["peer": "\(peer)", "error": "\(error)"])
    reportIfDrained()
  }

  /// Serves an accepted socket (over `tls` when set, its handshake complete) on this loop.
  private func serve(_ fd: Int32, peer: String, tls: TLSSession?, pendingCiphertext: [UInt8]) {
    let connection = HTTP2Connection(
      fd: fd, role: .server, loop: loop, settings: settings, peerAddress: peer, logger: logger,
      tls: tls, pendingCiphertext: pendingCiphertext, limits: limits)
    connection.delegate = makeDelegate(connection)
    connection.onClose = { [unowned self] connection in
      connections.removeValue(forKey: ObjectIdentifier(connection))
      limits.counters.connectionClosed()
      connection.logger.debug("connection closed")
      reportIfDrained()
    }
    connections[ObjectIdentifier(connection)] = connection
    do {
      try connection.start()
      connection.logger.debug("connection accepted", metadata: ["loop": "\(loop.index)"])
    } catch {
      connections.removeValue(forKey: ObjectIdentifier(connection))
      limits.counters.connectionClosed()
      LogRateLimiter.shared.log(
        .warning, kind: "http2.connection_start_failed", to: logger,
        "cannot start connection from \(peer): \(error)")
    }
  }

  func beginDrain(timeoutNanoseconds: UInt64) {
    draining = true
    listener?.close()
    listener = nil
    for connection in connections.values {
      connection.beginGracefulShutdown()
    }
    for handshake in Array(handshakes.values) {
      handshake.cancel()
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
    guard draining, connections.isEmpty, handshakes.isEmpty, !drainReported else { return }
    drainReported = true
    server.loopDrained()
  }
}
