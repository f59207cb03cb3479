/// `semantic_cache.backend`: where cached answers live.
public enum CacheBackendKind: String, Sendable, Equatable {
  /// In this process only (`SemanticCache`): the default.
  case memory
  /// In Redis, shared by every replica pointing at the same server and `key_prefix`.
  case redis
}

/// `semantic_cache.redis:` settings, for `backend: redis`.
public struct RedisCacheSettings: Sendable, Equatable {
  /// 5 ms: a cache lookup is worth only the time an upstream call would take anyway; on a
  /// healthy Redis in the same zone a lookup takes well under a millisecond.
  public static let defaultTimeoutMilliseconds = 5

  /// The server's host name or address.
  public var host: String
  public var port: Int
  /// `redis://user:…@` (Redis 6 ACL user); nil for the `default` user.
  public var username: String?
  /// A password given in the URL (`redis://:secret@host`); prefer `passwordEnvironment`.
  public var urlPassword: String?
  /// `/db` of the URL: the logical database `SELECT`ed after connecting.
  public var database: Int
  /// The name of the environment variable holding the password (never the secret itself).
  public var passwordEnvironment: String?
  /// Put before every key, so several routers (or other users) can share one Redis.
  public var keyPrefix: String
  /// How long a lookup may wait for Redis before it counts as a miss.
  public var timeoutMilliseconds: Int
  /// The most command batches waiting for Redis per event loop; more are skipped (a miss).
  public var maxPendingCommands: Int
  /// Set for a `rediss://` address: the connection runs over TLS.
  public var tls: RedisTLSSettings?

  public init(
    host: String, port: Int = 6379, username: String? = nil, urlPassword: String? = nil,
    database: Int = 0, passwordEnvironment: String? = nil, keyPrefix: String = "vsr:",
    timeoutMilliseconds: Int = RedisCacheSettings.defaultTimeoutMilliseconds,
    maxPendingCommands: Int = 1024, tls: RedisTLSSettings? = nil
  ) {
    self.host = host
    self.port = port
    self.username = username
    self.urlPassword = urlPassword
    self.database = database
    self.passwordEnvironment = passwordEnvironment
    self.keyPrefix = keyPrefix
    self.timeoutMilliseconds = timeoutMilliseconds
    self.maxPendingCommands = maxPendingCommands
    self.tls = tls
  }
}

/// `semantic_cache.redis.tls:`, for a `rediss://` address (all optional).
public struct RedisTLSSettings: Sendable, Equatable {
  /// PEM CA certificates to trust; nil trusts the system roots.
  public var caFile: String?
  /// PEM client certificate chain (Redis `tls-auth-clients yes`); needs `keyFile`.
  public var certificateFile: String?
  /// PEM private key of `certificateFile`.
  public var keyFile: String?
  /// The name checked against the server's certificate (and sent in SNI); nil means the host.
  public var serverName: String?

  public init(
    caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
    serverName: String? = nil
  ) {
    self.caFile = caFile
    self.certificateFile = certificateFile
    self.keyFile = keyFile
    self.serverName = serverName
  }
}
