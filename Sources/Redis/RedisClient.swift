public import Logging
public import Transport

/// A Redis client for one event loop: one pipelined connection, opened on first use, with
/// `AUTH`/`SELECT` sent ahead of the first batch, a timeout per batch, and reconnects with
/// exponential backoff. Loop-thread confined; make one per loop.
///
/// While the server is unreachable batches fail at once with `.unavailable` (no queueing), and
/// the first batch after the backoff tries a new connection. The first failure of an outage
/// logs one warning and the recovery one notice.
public final class RedisClient {
  private let settings: RedisClientSettings
  private let loop: EventLoop
  private let logger: Logger
  private var connection: RedisConnection?
  private var connectTimer: TimerID?
  private var backoff: UInt64 = 0
  private var retryAt: UInt64 = 0
  private var lastError: RedisError?
  private var healthy = true

  public init(settings: RedisClientSettings, loop: EventLoop, logger: Logger) {
    self.settings = settings
    self.loop = loop
    self.logger = logger
  }

  /// Sends `commands` pipelined and calls `completion` on the loop with their replies in order
  /// (an `.error` reply is a value, not a failure), or with why there are none. The completion
  /// runs exactly once: at once when the client is unavailable or overloaded, else later.
  /// `timeoutNanoseconds` replaces the settings' timeout for this batch (e.g. what is left of
  /// a lookup's budget).
  public func send(
    _ commands: [[[UInt8]]], timeoutNanoseconds: UInt64? = nil,
    completion: @escaping (Result<[RESPValue], RedisError>) -> Void
  ) {
    loop.assertInEventLoop()
    guard let connection = currentConnection() else {
      completion(.failure(.unavailable(lastError.map { "\($0)" } ?? "not connected")))
      return
    }
    guard connection.pendingBatches < settings.maxPendingBatches else {
      completion(.failure(.overloaded))
      return
    }
    let batch = RedisConnection.Batch(expected: commands.count, completion: completion)
    let timeout = timeoutNanoseconds ?? settings.timeoutNanoseconds
    let timer = loop.scheduleTimer(afterNanoseconds: timeout) {
      batch.finish(.failure(.timeout))
    }
    let original = batch.completion
    batch.completion = { [loop] result in
      loop.cancelTimer(timer)
      original?(result)
    }
    connection.send(commands, batch: batch)
  }

  /// Closes the connection; waiting batches fail.
  public func close() {
    connection?.close()
    connection = nil
  }

  // MARK: - Connecting

  /// The open (or opening) connection, or a new one once the backoff has passed; nil while
  /// waiting it out or when connecting failed at once.
  private func currentConnection() -> RedisConnection? {
    if let connection { return connection }
    guard Syscall.monotonicNanoseconds() >= retryAt else { return nil }
    let opened: RedisConnection
    do {
      let session = try settings.tls.map { tls throws(TLSError) in
        try TLSSession(configuration: tls, host: tls.serverName ?? "")
      }
      opened = try RedisConnection(to: settings.address, tls: session, on: loop) {
        [weak self] error in
        self?.connectionEnded(error)
      }
    } catch {
      recordFailure(.unavailable("\(error)"))
      return nil
    }
    connection = opened
    sendHandshake(on: opened)
    connectTimer = loop.scheduleTimer(afterNanoseconds: settings.connectTimeoutNanoseconds) {
      [weak self, weak opened] in
      guard let self, let opened, self.connection === opened, !opened.isConnected else { return }
      opened.close()
      self.connection = nil
      self.recordFailure(.unavailable("connect timed out"))
    }
    return opened
  }

  /// `AUTH` and `SELECT` ahead of everything else; an error reply closes the connection.
  private func sendHandshake(on connection: RedisConnection) {
    var commands: [[[UInt8]]] = []
    if let password = settings.password {
      var auth = [Array("AUTH".utf8)]
      if let username = settings.username { auth.append(Array(username.utf8)) }
      auth.append(Array(password.utf8))
      commands.append(auth)
    }
    if settings.database != 0 {
      commands.append([Array("SELECT".utf8), Array(String(settings.database).utf8)])
    }
    // PING proves the server answers before the outage counts as over.
    commands.append([Array("PING".utf8)])
    let batch = RedisConnection.Batch(expected: commands.count) {
      [weak self, weak connection] result in
      guard let self, let connection, self.connection === connection else { return }
      if let timer = self.connectTimer {
        self.loop.cancelTimer(timer)
        self.connectTimer = nil
      }
      switch result {
      case .success(let replies):
        if let refused = replies.first(where: { if case .error = $0 { true } else { false } }),
          case .error(let message) = refused
        {
          connection.close()
          self.connection = nil
          self.recordFailure(.unavailable("handshake refused: \(message)"))
        } else {
          self.recordSuccess()
        }
      case .failure:
        break  // connectionEnded has recorded it.
      }
    }
    connection.send(commands, batch: batch)
  }

  private func connectionEnded(_ error: RedisError) {
    connection = nil
    if let timer = connectTimer {
      loop.cancelTimer(timer)
      connectTimer = nil
    }
    recordFailure(error)
  }

  private func recordFailure(_ error: RedisError) {
    lastError = error
    backoff =
      backoff == 0
      ? settings.initialBackoffNanoseconds : min(backoff * 2, settings.maxBackoffNanoseconds)
    retryAt = Syscall.monotonicNanoseconds() + backoff
    guard healthy else { return }
    healthy = false
    logger.warning(
      "Redis unreachable; the shared cache answers misses until it returns",
      metadata: ["error": "\(error)", "loop": "\(loop.index)"])
  }

  private func recordSuccess() {
    backoff = 0
    retryAt = 0
    lastError = nil
    guard !healthy else { return }
    healthy = true
    logger.notice("Redis reachable again", metadata: ["loop": "\(loop.index)"])
  }
}

@available(*, unavailable)
extension RedisClient: Sendable {}
