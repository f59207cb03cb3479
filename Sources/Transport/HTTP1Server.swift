import Logging
import Synchronization

/// A small HTTP/1.1 server for the admin endpoints (`/health`, `/ready`, `/metrics`, and the
/// `POST /reload` action).
///
/// Low traffic by design: one event loop thread of its own, one request per connection
/// (`Connection: close`), GET and HEAD, and POST to the paths given `actions` (405 otherwise;
/// a request body is not read), request heads up to
/// `maxHeaderBytes` (431 beyond, 400 when malformed), and a per-connection timeout so a stuck
/// client cannot hold the server. Past `maxConnections`, a small reserve still answers
/// `priorityPaths` (health probes stay answerable while others hold every connection), and
/// refusals are counted in `counters` and logged at most once per rate-limit interval. The
/// handler runs on the server's loop thread and must be quick; it answers every path, so use
/// `routes(_:)` for a path table with 404 for the rest.
public final class HTTP1Server: Sendable {
  /// Answers one request; runs on the server's loop thread.
  public typealias Handler = @Sendable (HTTP1ServerRequest) -> HTTP1ServerResponse

  /// Runs a POST to its path: called on the loop thread, it hands slow work to another thread
  /// and calls `reply` exactly once, from any thread, when done. The request timeout does not
  /// run meanwhile; a client that leaves first is closed and its reply dropped.
  public typealias Action =
    @Sendable (HTTP1ServerRequest, _ reply: @escaping @Sendable (HTTP1ServerResponse) -> Void) ->
    Void

  /// What answers requests: `handler` for GET and HEAD, `actions` for POST, by path.
  struct Handlers: Sendable {
    let handler: Handler
    let actions: [String: Action]
  }

  /// Where to listen and the limits to enforce.
  public struct Configuration: Sendable {
    public var host: String
    /// 0 picks a free port (see the address `start()` returns).
    public var port: Int
    /// Largest request head (request line and headers) accepted.
    public var maxHeaderBytes: Int
    /// Time a client has to send its request head and take the response.
    public var requestTimeout: Duration
    /// Time the client's leftover bytes are read after the response before closing.
    public var lingerTimeout: Duration
    /// Connections served at once for any path; more go to the priority reserve, or are
    /// closed on accept.
    public var maxConnections: Int
    /// Paths still answered past `maxConnections` (health probes); other paths get 503 there.
    /// Empty: no reserve, connections past the limit are closed on accept.
    public var priorityPaths: Set<String>
    /// Connections accepted past `maxConnections` for `priorityPaths` only; when full, the
    /// oldest one still silent is closed for a new one.
    public var priorityReserve: Int
    public var backlog: Int32
    /// Limits the log lines about refused connections.
    public var logLimiter: LogRateLimiter

    public init(
      host: String = "0.0.0.0", port: Int = 8080, maxHeaderBytes: Int = 8192,
      requestTimeout: Duration = .seconds(5), lingerTimeout: Duration = .seconds(1),
      maxConnections: Int = 64, priorityPaths: Set<String> = [], priorityReserve: Int = 8,
      backlog: Int32 = 64, logLimiter: LogRateLimiter = .shared
    ) {
      self.host = host
      self.port = port
      self.maxHeaderBytes = maxHeaderBytes
      self.requestTimeout = requestTimeout
      self.lingerTimeout = lingerTimeout
      self.maxConnections = maxConnections
      self.priorityPaths = priorityPaths
      self.priorityReserve = priorityReserve
      self.backlog = backlog
      self.logLimiter = logLimiter
    }
  }

  private enum Phase {
    case idle
    case running(EventLoopGroup, HTTP1ServerListener, SocketAddress)
    case stopped
  }

  public let configuration: Configuration
  /// Connections refused for the connection limit.
  public let counters = HTTP1ServerCounters()
  private let handlers: Handlers
  private let logger: Logger
  private let phase = Mutex(Phase.idle)

  public init(
    configuration: Configuration, logger: Logger = Logger(label: "semantic-router.admin"),
    actions: [String: Action] = [:], handler: @escaping Handler
  ) {
    self.configuration = configuration
    self.logger = logger
    self.handlers = Handlers(handler: handler, actions: actions)
  }

  /// A handler that dispatches on the exact path and answers 404 for any other.
  public static func routes(_ table: [String: Handler]) -> Handler {
    { request in table[request.path]?(request) ?? .notFound }
  }

  /// The bound address while running.
  public var localAddress: SocketAddress? {
    phase.withLock { phase in
      if case .running(_, _, let address) = phase { address } else { nil }
    }
  }

  /// Binds, starts the loop thread and begins serving; returns the bound address (with the real
  /// port when configured with port 0). Throws when the address cannot be resolved or bound.
  @discardableResult
  public func start() throws -> SocketAddress {
    let canStart = phase.withLock { phase in
      if case .idle = phase { true } else { false }
    }
    precondition(canStart, "HTTP1Server.start() called twice or after stop()")
    let address = try SocketAddress.resolve(host: configuration.host, port: configuration.port)
    let limits = HTTP1ServerConnection.Limits(
      maxHeadBytes: configuration.maxHeaderBytes,
      requestTimeoutNanoseconds: Self.nanoseconds(configuration.requestTimeout),
      lingerTimeoutNanoseconds: Self.nanoseconds(configuration.lingerTimeout),
      priorityPaths: configuration.priorityPaths)
    let group = try EventLoopGroup(count: 1)
    let listener: HTTP1ServerListener
    let bound: SocketAddress
    do {
      listener = try HTTP1ServerListener(
        address: address, backlog: configuration.backlog, loop: group.loops[0], limits: limits,
        maxConnections: configuration.maxConnections,
        priorityReserve: configuration.priorityReserve, handlers: handlers, logger: logger,
        counters: counters, logLimiter: configuration.logLimiter)
      do {
        bound = try listener.localAddress()
      } catch {
        listener.discard()
        throw error
      }
    } catch {
      group.stop()
      group.join()
      throw error
    }
    phase.withLock { $0 = .running(group, listener, bound) }
    listener.loop.execute { listener.start() }
    logger.info("admin HTTP server listening", metadata: ["address": "\(bound)"])
    return bound
  }

  /// Stops accepting, closes every connection and joins the loop thread. Blocks until done;
  /// never call it from the handler. Repeated calls return at once.
  public func stop() {
    let running = phase.withLock { phase -> (EventLoopGroup, HTTP1ServerListener)? in
      defer { phase = .stopped }
      if case .running(let group, let listener, _) = phase { return (group, listener) }
      return nil
    }
    guard let (group, listener) = running else { return }
    listener.loop.execute { listener.close() }
    group.stop()
    group.join()
    logger.info("admin HTTP server stopped")
  }

  private static func nanoseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    let whole = UInt64(clamping: max(seconds, 0)).multipliedReportingOverflow(by: 1_000_000_000)
    return whole.overflow ? .max : whole.partialValue &+ UInt64(max(attoseconds, 0) / 1_000_000_000)
  }
}
