import Dispatch
import Logging
import Transport

/// The client connection of a `GRPCUnaryClient`, kept on one loop: connects on first use (h2c,
/// or TLS with ALPN h2), queues calls while connecting, and reconnects after the connection
/// closes or receives GOAWAY. Every connection resolves the host again, on a background thread
/// (the lookup may block; the loop, even a caller's, must not), then tries the addresses in
/// order until one connects; a TLS failure ends the attempt (the next address would present the
/// same certificate). Loop-thread confined.
final class GRPCClientChannel: HTTP2ConnectionDelegate {
  private let loop: EventLoop
  private let host: String
  private let port: Int
  private let resolve: @Sendable (_ host: String, _ port: Int) throws -> [SocketAddress]
  private let authority: String
  /// The TLS context and the name to verify, for a channel over TLS; nil for h2c.
  private let tls: (context: TLSContext, serverName: String)?
  private let connectTimeoutNanoseconds: UInt64
  private let logger: Logger
  private var connection: HTTP2Connection?
  private var connecting = false
  /// Whether the last connection attempt failed: repeated failures are logged once, not per retry.
  private var isUnreachable = false
  private var waiting: [GRPCClientUnaryCall] = []
  private var isShutDown = false

  init(
    loop: EventLoop, host: String, port: Int,
    resolve: @escaping @Sendable (_ host: String, _ port: Int) throws -> [SocketAddress],
    authority: String, tls: (context: TLSContext, serverName: String)?,
    connectTimeoutNanoseconds: UInt64, logger: Logger
  ) {
    self.loop = loop
    self.host = host
    self.port = port
    self.resolve = resolve
    self.authority = authority
    self.tls = tls
    self.connectTimeoutNanoseconds = connectTimeoutNanoseconds
    self.logger = logger
  }

  func submit(_ call: GRPCClientUnaryCall) {
    loop.assertInEventLoop()
    guard !isShutDown else {
      call.fail(GRPCStatus(.unavailable, "client is shut down"))
      return
    }
    call.armDeadline(on: loop)
    call.channel = self
    send(call)
  }

  /// Sends a call again after the server refused its stream unprocessed.
  func resubmit(_ call: GRPCClientUnaryCall) {
    guard !isShutDown else {
      call.fail(GRPCStatus(.unavailable, "client is shut down"))
      return
    }
    send(call)
  }

  private func send(_ call: GRPCClientUnaryCall) {
    if let connection, connection.canOpenStreams {
      call.start(on: connection, authority: authority)
      return
    }
    connection = nil
    waiting.append(call)
    connect()
  }

  /// Closes the connection; waiting and later calls fail with UNAVAILABLE.
  func shutdown() {
    isShutDown = true
    let waiting = self.waiting
    self.waiting = []
    for call in waiting { call.fail(GRPCStatus(.unavailable, "client is shut down")) }
    connection?.close()
    connection = nil
  }

  private func connect() {
    guard !connecting else { return }
    connecting = true
    let (host, port, resolve, loop) = (host, port, resolve, loop)
    let reply = WeakChannel(self)
    DispatchQueue.global().async {
      let result: Result<[SocketAddress], GRPCStatus>
      do {
        let addresses = try resolve(host, port)
        result =
          addresses.isEmpty
          ? .failure(GRPCUnaryClient.unresolved(host: host, error: NoAddresses()))
          : .success(addresses)
      } catch {
        result = .failure(GRPCUnaryClient.unresolved(host: host, error: error))
      }
      // After a shutdown the loop may never run again: the task then holds no channel.
      loop.execute { reply.channel?.resolved(result) }
    }
  }

  private func resolved(_ result: Result<[SocketAddress], GRPCStatus>) {
    guard !isShutDown else { return }  // shutdown failed the waiting calls
    switch result {
    case .success(let addresses):
      connect(to: addresses[...], failures: [])
    case .failure(let status):
      connectFailed(status, error: status.message)
    }
  }

  /// Connects to the first of `addresses`, then the next while TCP connects fail; `failures`
  /// are the earlier addresses' errors.
  private func connect(to addresses: ArraySlice<SocketAddress>, failures: [String]) {
    let address = addresses[addresses.startIndex]
    HTTP2Connection.connect(
      to: address, on: loop, tls: tls, timeoutNanoseconds: connectTimeoutNanoseconds,
      logger: logger
    ) { [self] result in
      switch result {
      case .success(let connection):
        connected(connection, to: address)
      case .failure(.system(let error)) where addresses.count > 1 && !isShutDown:
        connect(to: addresses.dropFirst(), failures: failures + ["\(address): \(error)"])
      case .failure(let error):
        let tried = (failures + ["\(address): \(error)"]).joined(separator: "; ")
        connectFailed(GRPCStatus(.unavailable, "cannot connect to \(tried)"), error: tried)
      }
    }
  }

  private func connected(_ connection: HTTP2Connection, to address: SocketAddress) {
    connecting = false
    let calls = takeWaitingCalls()
    guard !isShutDown else {
      connection.close()
      return
    }
    if isUnreachable {
      isUnreachable = false
      logger.info("gRPC client connected again", metadata: ["address": "\(address)"])
    }
    connection.delegate = self
    self.connection = connection
    for call in calls { call.start(on: connection, authority: authority) }
  }

  private func connectFailed(_ status: GRPCStatus, error: String) {
    connecting = false
    let calls = takeWaitingCalls()
    guard !isShutDown else { return }
    // Repeats at each retry while the peer is down; a flapping peer is rate limited too.
    LogRateLimiter.shared.log(
      isUnreachable ? .debug : .warning, kind: "grpc.client_connect_failed", to: logger,
      "gRPC client cannot connect",
      metadata: ["host": "\(host):\(port)", "error": "\(error)"])
    isUnreachable = true
    for call in calls { call.fail(status) }
  }

  private func takeWaitingCalls() -> [GRPCClientUnaryCall] {
    let calls = waiting.filter { !$0.isCompleted }
    waiting = []
    return calls
  }

  func connection(
    _ connection: HTTP2Connection, openedStream stream: HTTP2Stream, headers: [HTTP2Header],
    endStream: Bool
  ) {
    stream.reset(errorCode: 1)  // PROTOCOL_ERROR: a server never opens streams here
  }

  func connectionClosed(_ connection: HTTP2Connection) {
    if self.connection === connection { self.connection = nil }
  }
}

@available(*, unavailable)
extension GRPCClientChannel: Sendable {}

/// A lookup that returned no address (the resolver's success with an empty list).
private struct NoAddresses: Error, CustomStringConvertible {
  var description: String { "no addresses" }
}

/// The channel as the name lookup's thread hands it back to the loop; weak, so a lookup that
/// ends after shutdown keeps nothing alive.
private final class WeakChannel: @unchecked Sendable {
  // @unchecked Sendable: `channel` is only read on the channel's loop.
  weak var channel: GRPCClientChannel?

  init(_ channel: GRPCClientChannel) {
    self.channel = channel
  }
}
