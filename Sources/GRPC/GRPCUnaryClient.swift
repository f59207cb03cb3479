import Logging
import Synchronization
import Transport

/// A client for unary gRPC calls over one HTTP/2 connection, cleartext (prior knowledge) or
/// TLS (ALPN h2), e.g. the OTLP/gRPC trace exporter. Connects on first use and reconnects after
/// the connection breaks; each connection resolves the host again and tries its addresses in
/// order, so a name that does not resolve yet fails calls (UNAVAILABLE), never the client.
/// Safe to use from any thread (only blocking calls with `.caller`).
public final class GRPCUnaryClient: Sendable {
  /// Which thread runs the client's event loop.
  public enum Threading: Sendable {
    /// A loop thread (the client's own, or the `eventLoop` given): calls may come from any
    /// thread, and `completion`s run on that loop.
    case loopThread
    /// No loop thread: each blocking `call` runs the loop on the calling thread until its
    /// answer is in, one caller at a time. A client called from one thread (the span
    /// exporter's) then saves two thread switches per call; only blocking calls are allowed.
    case caller
  }

  public struct Configuration: Sendable {
    public var host: String
    public var port: Int
    /// The `:authority` sent; `host:port` when nil.
    public var authority: String?
    /// How long a connection attempt may take.
    public var connectTimeout: Duration = .seconds(5)
    /// Largest response message accepted.
    public var maxReceiveMessageSize: Int = 4 << 20
    /// TLS settings (trust roots, name checked, client certificate); nil for cleartext h2c.
    /// ALPN always offers `h2` only, whatever `alpnProtocols` says: gRPC needs HTTP/2.
    public var tls: TLSConfiguration?
    /// Whether a loop thread or the blocking caller runs the connection.
    public var threading = Threading.loopThread
    /// Turns `host` and `port` into the addresses to try, in order. Called before every new
    /// connection on a background thread (a name lookup may block; a loop never does), so a
    /// changed or late DNS record is found. Tests pass their own.
    public var resolve: @Sendable (_ host: String, _ port: Int) throws -> [SocketAddress] =
      SocketAddress.resolveAll

    public init(host: String, port: Int) {
      self.host = host
      self.port = port
    }
  }

  public let configuration: Configuration
  private let loop: EventLoop
  /// The group this client made for itself (stopped on `shutdown()`), if any.
  private let ownGroup: EventLoopGroup?
  private let channel: Mutex<ChannelBox?>
  /// Whose turn it is to run the loop (`Threading.caller`).
  private let turns = GRPCLoopTurns()

  /// Makes a client. Without `eventLoop` it runs its own loop thread, or none with
  /// `Threading.caller` (`eventLoop` is then ignored). The host is not resolved here (each
  /// connection does it); loading the TLS settings (a `TLSError`: a configuration error) reads
  /// files: call from a background thread.
  public init(
    configuration: Configuration, eventLoop: EventLoop? = nil, logger: Logger
  ) throws {
    self.configuration = configuration
    let tls = try configuration.tls.map { tls throws(TLSError) in
      var settings = tls
      settings.alpnProtocols = ["h2"]
      return (
        context: try TLSContext.shared(for: settings),
        serverName: tls.serverName ?? configuration.host
      )
    }
    if configuration.threading == .caller {
      precondition(eventLoop == nil, "a caller-driven client runs a loop of its own")
      loop = try EventLoop()
      ownGroup = nil
    } else if let eventLoop {
      loop = eventLoop
      ownGroup = nil
    } else {
      let group = try EventLoopGroup(count: 1)
      loop = group.loops[0]
      ownGroup = group
    }
    let authority = configuration.authority ?? "\(configuration.host):\(configuration.port)"
    let (seconds, attoseconds) = configuration.connectTimeout.components
    let connectTimeout = Self.nanoseconds(seconds: seconds, attoseconds: attoseconds)
    channel = Mutex(
      ChannelBox(
        GRPCClientChannel(
          loop: loop, host: configuration.host, port: configuration.port,
          resolve: configuration.resolve, authority: authority, tls: tls,
          connectTimeoutNanoseconds: connectTimeout, logger: logger)))
  }

  /// Calls `path` with one request message; `completion` runs on the client's loop thread with
  /// the response message or the call's non-OK status. Not with `Threading.caller`.
  public func call(
    path: String, request: [UInt8], metadata: [GRPCMetadataField] = [], timeout: Duration,
    completion: @escaping @Sendable (Result<[UInt8], GRPCStatus>) -> Void
  ) {
    precondition(configuration.threading == .loopThread, "no loop thread to complete the call")
    submit(path: path, request: request, metadata: metadata, timeout: timeout, completion)
  }

  /// Hands the call to the loop.
  private func submit(
    path: String, request: [UInt8], metadata: [GRPCMetadataField], timeout: Duration,
    _ completion: @escaping @Sendable (Result<[UInt8], GRPCStatus>) -> Void
  ) {
    guard let box = channel.withLock({ $0 }) else {
      completion(.failure(GRPCStatus(.unavailable, "client is shut down")))
      return
    }
    let (seconds, attoseconds) = timeout.components
    let timeoutNanoseconds = Self.nanoseconds(seconds: seconds, attoseconds: attoseconds)
    let maxReceiveMessageSize = configuration.maxReceiveMessageSize
    loop.execute {
      let call = GRPCClientUnaryCall(
        path: path, request: request, metadata: metadata, timeoutNanoseconds: timeoutNanoseconds,
        maxReceiveMessageSize: maxReceiveMessageSize, completion: completion)
      box.channel.submit(call)
    }
  }

  /// Calls `path` and blocks until it completes. Never call it on the client's loop thread.
  public func call(
    path: String, request: [UInt8], metadata: [GRPCMetadataField] = [], timeout: Duration
  ) -> Result<[UInt8], GRPCStatus> {
    precondition(!loop.inEventLoop, "blocking call on the client's loop thread")
    let waiter = GRPCResultWaiter<Result<[UInt8], GRPCStatus>>()
    let turns = configuration.threading == .caller ? turns : nil
    submit(path: path, request: request, metadata: metadata, timeout: timeout) { result in
      waiter.resolve(result)
      turns?.wake()
    }
    drive(until: waiter)
    return waiter.wait()
  }

  /// Closes the connection, fails calls still waiting for one, and stops the client's own loop.
  /// With `.caller` it runs the loop itself when no other caller does.
  /// Later calls fail with UNAVAILABLE. Do not call it on the client's loop thread when the
  /// client owns its loop.
  public func shutdown() {
    guard
      let box = channel.withLock({ value -> ChannelBox? in
        defer { value = nil }
        return value
      })
    else { return }
    let done = GRPCResultWaiter<Void>()
    let turns = configuration.threading == .caller ? turns : nil
    loop.execute {
      box.channel.shutdown()
      done.resolve(())
      turns?.wake()
    }
    drive(until: done)
    if let ownGroup {
      done.wait()
      ownGroup.stop()
      ownGroup.join()
    }
  }

  /// With `Threading.caller`, runs the loop on this thread until `waiter` is resolved.
  private func drive<Value>(until waiter: GRPCResultWaiter<Value>) {
    guard configuration.threading == .caller else { return }
    turns.drive(loop, until: { waiter.isResolved })
  }

  /// Whether `status` failed a call because the host name did not resolve (the message
  /// `unresolved(host:error:)` writes).
  public static func isUnresolved(_ status: GRPCStatus) -> Bool {
    status.code == .unavailable && status.message.hasPrefix(unresolvedPrefix)
  }

  /// The status of calls failed because `host` did not resolve.
  static func unresolved(host: String, error: any Error) -> GRPCStatus {
    let reason = (error as? SocketAddressError)?.reason ?? "\(error)"
    return GRPCStatus(.unavailable, "\(unresolvedPrefix)\(host): \(reason)")
  }

  private static let unresolvedPrefix = "cannot resolve "

  private static func nanoseconds(seconds: Int64, attoseconds: Int64) -> UInt64 {
    let whole = UInt64(clamping: max(seconds, 0)).multipliedReportingOverflow(by: 1_000_000_000)
    if whole.overflow { return .max }
    return whole.partialValue &+ UInt64(clamping: max(attoseconds, 0) / 1_000_000_000)
  }
}

/// Carries the loop-confined channel through thread-safe storage; it is only used on the loop.
private final class ChannelBox: @unchecked Sendable {
  // @unchecked Sendable: `channel` is only touched inside tasks run on the client's loop.
  let channel: GRPCClientChannel

  init(_ channel: GRPCClientChannel) {
    self.channel = channel
  }
}
