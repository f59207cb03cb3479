public import Transport

/// How a `RedisClient` reaches and treats its server.
public struct RedisClientSettings: Sendable {
  /// The server's address, resolved before the client starts (a loop thread never resolves).
  public var address: SocketAddress
  /// `AUTH` user (Redis 6 ACLs); nil with a password means the `default` user.
  public var username: String?
  /// `AUTH` password; nil sends no `AUTH`.
  public var password: String?
  /// `SELECT` this database after connecting (0: none sent).
  public var database: Int
  /// How long a batch may wait for its replies before it fails with `.timeout`.
  public var timeoutNanoseconds: UInt64
  /// The most batches waiting for replies on the connection; more fail with `.overloaded`.
  public var maxPendingBatches: Int
  /// The first wait before reconnecting after a failure; it doubles up to `maxBackoff…`.
  public var initialBackoffNanoseconds: UInt64 = 50_000_000
  /// The longest wait between reconnect attempts.
  public var maxBackoffNanoseconds: UInt64 = 2_000_000_000
  /// Set: every connection runs over TLS (`rediss://`), checking the name in its
  /// `serverName`. No ALPN is offered: Redis does not use it.
  public var tls: TLSConfiguration?
  /// How long a connect (TCP and, with `tls`, the TLS handshake) may take before it counts as
  /// failed.
  public var connectTimeoutNanoseconds: UInt64 = 1_000_000_000

  public init(
    address: SocketAddress, username: String? = nil, password: String? = nil, database: Int = 0,
    timeoutNanoseconds: UInt64, maxPendingBatches: Int = 1024
  ) {
    self.address = address
    self.username = username
    self.password = password
    self.database = database
    self.timeoutNanoseconds = timeoutNanoseconds
    self.maxPendingBatches = maxPendingBatches
  }
}
