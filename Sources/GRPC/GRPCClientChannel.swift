import Logging
import Transport

/// The client connection of a `GRPCUnaryClient`, kept on one loop: connects on first use (h2c,
/// or TLS with ALPN h2), queues calls while connecting, and reconnects after the connection
/// closes or receives GOAWAY. Loop-thread confined.
final class GRPCClientChannel: HTTP2ConnectionDelegate {
  private let loop: EventLoop
  private let address: SocketAddress
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
    loop: EventLoop, address: SocketAddress, authority: String,
    tls: (context: TLSContext, serverName: String)?, connectTimeoutNanoseconds: UInt64,
    logger: Logger
  ) {
    self.loop = loop
    self.address = address
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
    HTTP2Connection.connect(
      to: address, on: loop, tls: tls, timeoutNanoseconds: connectTimeoutNanoseconds,
      logger: logger
    ) { [self] result in
      connecting = false
      let calls = waiting.filter { !$0.isCompleted }
      waiting = []
      switch result {
      case .success(let connection):
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
      case .failure(let error):
        logger.log(
          level: isUnreachable ? .debug : .warning, "gRPC client cannot connect",
          metadata: ["address": "\(address)", "error": "\(error)"])
        isUnreachable = true
        for call in calls {
          call.fail(GRPCStatus(.unavailable, "cannot connect to \(address): \(error)"))
        }
      }
    }
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
