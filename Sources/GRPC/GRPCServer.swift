import Logging
import Synchronization
import Transport

/// A gRPC server over HTTP/2 cleartext (prior knowledge): one event loop thread per core, calls
/// routed by `:path` to registered handler factories, `grpc.health.v1.Health` built in, and a
/// graceful drain.
public final class GRPCServer: Sendable {
  /// Where to listen and the limits to enforce.
  public struct Configuration: Sendable {
    public var host: String
    /// 0 picks a free port (see `localAddress`).
    public var port: Int
    /// Event loop threads (one per core by default).
    public var threads: Int
    /// Largest request message accepted; larger ones get RESOURCE_EXHAUSTED.
    public var maxReceiveMessageSize: Int
    /// SETTINGS_MAX_CONCURRENT_STREAMS per connection.
    public var maxConcurrentStreams: UInt32
    /// Further HTTP/2 settings (windows, reset rate limit).
    public var http2 = HTTP2Settings()
    /// Connection timeouts and the connection cap.
    public var limits = HTTP2ServerLimits()
    /// TLS (mutual TLS with a client CA file) on every connection; nil serves h2c.
    public var tls: TLSServerConfiguration?

    public init(
      host: String = "0.0.0.0", port: Int = 50051, threads: Int = EventLoopGroup.processorCount,
      maxReceiveMessageSize: Int = 4 << 20, maxConcurrentStreams: UInt32 = 1024
    ) {
      self.host = host
      self.port = port
      self.threads = threads
      self.maxReceiveMessageSize = maxReceiveMessageSize
      self.maxConcurrentStreams = maxConcurrentStreams
    }
  }

  private enum Phase {
    case idle
    case running(EventLoopGroup, HTTP2Server)
    /// Draining, then stopped once the loops return (`wait()` joins them).
    case draining(EventLoopGroup, HTTP2Server)
    /// Stopped before it ever started.
    case stopped
  }

  private struct State {
    var methods: [String: GRPCCallHandlerFactory] = [:]
    var phase = Phase.idle
  }

  public let configuration: Configuration
  /// The statuses `grpc.health.v1.Health` reports; all NOT_SERVING once shutdown begins.
  public let health = GRPCHealthStatusRegistry()
  private let logger: Logger
  private let state = Mutex(State())
  private let address = Mutex<SocketAddress?>(nil)

  public init(configuration: Configuration, logger: Logger) {
    self.configuration = configuration
    self.logger = logger
    register(GRPCHealthService(registry: health))
  }

  /// Routes calls to `path` (`/package.Service/Method`) to handlers made by `factory`.
  /// Register before `start()`.
  public func register(path: String, factory: @escaping GRPCCallHandlerFactory) {
    state.withLock { state in
      precondition(
        { if case .idle = state.phase { true } else { false } }(), "register after start")
      state.methods[path] = factory
    }
  }

  /// Registers every method of `service`.
  public func register(_ service: any GRPCService) {
    for (path, factory) in service.methods {
      register(path: path, factory: factory)
    }
  }

  /// The bound address once started (with the real port when configured with port 0).
  public var localAddress: SocketAddress? { address.withLock { $0 } }

  /// Starts the loops, binds and begins serving. Throws when the address cannot be bound.
  public func start() throws {
    let methods = state.withLock { state -> GRPCMethodTable? in
      guard case .idle = state.phase else { return nil }
      return GRPCMethodTable(state.methods)
    }
    guard let methods else { preconditionFailure("start() called twice") }
    let group = try EventLoopGroup(count: configuration.threads)
    var http2Configuration = HTTP2Server.Configuration(
      host: configuration.host, port: configuration.port)
    http2Configuration.settings = configuration.http2
    http2Configuration.limits = configuration.limits
    http2Configuration.tls = configuration.tls
    http2Configuration.settings.maxConcurrentStreams = configuration.maxConcurrentStreams
    let maxReceiveMessageSize = configuration.maxReceiveMessageSize
    let logger = self.logger
    let http2 = HTTP2Server(configuration: http2Configuration, group: group, logger: logger) { _ in
      GRPCServerConnection(
        methods: methods, maxReceiveMessageSize: maxReceiveMessageSize, logger: logger)
    }
    let bound: SocketAddress
    do {
      bound = try http2.start()
    } catch {
      group.stop()
      group.join()
      throw error
    }
    address.withLock { $0 = bound }
    state.withLock { $0.phase = .running(group, http2) }
    logger.info(
      "gRPC server listening",
      metadata: ["address": "\(bound)", "threads": "\(configuration.threads)"])
  }

  /// Starts a graceful shutdown: health goes NOT_SERVING, the listeners close, every connection
  /// gets GOAWAY, and open calls have `drainTimeout` to finish before their connections are
  /// closed. Returns at once; `wait()` returns when it is over. Any thread; repeated calls are
  /// ignored.
  public func beginGracefulShutdown(drainTimeout: Duration) {
    let running = state.withLock { state -> (EventLoopGroup, HTTP2Server)? in
      switch state.phase {
      case .running(let group, let http2):
        state.phase = .draining(group, http2)
        return (group, http2)
      case .idle:
        state.phase = .stopped
        return nil
      case .draining, .stopped:
        return nil
      }
    }
    health.enterShutdown()
    guard let (group, http2) = running else { return }
    let (seconds, attoseconds) = drainTimeout.components
    let nanoseconds =
      UInt64(clamping: max(seconds, 0)).multipliedReportingOverflow(by: 1_000_000_000).partialValue
      &+ UInt64(clamping: max(attoseconds, 0) / 1_000_000_000)
    logger.info("gRPC server draining", metadata: ["timeout": "\(drainTimeout)"])
    let logger = self.logger
    http2.beginGracefulShutdown(drainTimeoutNanoseconds: nanoseconds) {
      logger.info("gRPC server stopped")
      group.stop()
    }
  }

  /// Blocks until the server has stopped after `beginGracefulShutdown`; returns at once if it
  /// never started. Do not call from a handler (a loop thread).
  public func wait() {
    let group = state.withLock { state -> EventLoopGroup? in
      switch state.phase {
      case .running(let group, _), .draining(let group, _): group
      case .idle, .stopped: nil as EventLoopGroup?
      }
    }
    group?.join()
  }
}
