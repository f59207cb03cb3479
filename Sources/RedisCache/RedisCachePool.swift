public import Logging
public import Metrics
import Redis
public import Router
import Synchronization
import Transport

/// The shared cache of every event loop that asks: one `RedisClient` and `RedisSemanticCache`
/// per loop, made on the loop's first lookup. Errors are counted in
/// `semantic_router_cache_backend_errors_total{reason}`.
///
/// The address is resolved once, here (off the loops); the password comes from the environment
/// variable `password_env` names, else from the URL.
public final class RedisCachePool: Sendable {
  /// A loop's cache, handed between threads only through the pool's lock and used only on its
  /// own loop: that confinement is why it may be marked Sendable.
  private final class LoopCache: @unchecked Sendable {
    let cache: RedisSemanticCache
    init(_ cache: RedisSemanticCache) { self.cache = cache }
  }

  private let clientSettings: RedisClientSettings
  private let prefix: String
  private let logger: Logger
  private let errors: CounterFamily
  private let caches = Mutex<[ObjectIdentifier: LoopCache]>([:])

  /// Why the pool cannot start.
  public struct StartError: Error, CustomStringConvertible {
    public var description: String
  }

  public init(
    settings: RedisCacheSettings, environment: [String: String], registry: MetricsRegistry,
    logger: Logger
  ) throws(StartError) {
    var password = settings.urlPassword
    if let name = settings.passwordEnvironment {
      guard let value = environment[name], !value.isEmpty else {
        throw StartError(
          description: "semantic_cache.redis.password_env names \(name), which is not set")
      }
      password = value
    }
    let address: SocketAddress
    do {
      address = try SocketAddress.resolve(host: settings.host, port: settings.port)
    } catch {
      throw StartError(description: "semantic_cache.redis.address: \(error)")
    }
    var clientSettings = RedisClientSettings(
      address: address, username: settings.username, password: password,
      database: settings.database,
      timeoutNanoseconds: UInt64(settings.timeoutMilliseconds) * 1_000_000,
      maxPendingBatches: settings.maxPendingCommands)
    clientSettings.connectTimeoutNanoseconds = max(
      clientSettings.connectTimeoutNanoseconds, clientSettings.timeoutNanoseconds)
    if let tls = settings.tls {
      let configuration = TLSConfiguration(
        caFile: tls.caFile, serverName: tls.serverName ?? settings.host,
        clientCertificateFile: tls.certificateFile, clientKeyFile: tls.keyFile)
      // Loading the files now turns a missing or bad one into a start error, not an outage.
      do {
        _ = try TLSContext.shared(for: configuration)
      } catch {
        throw StartError(description: "semantic_cache.redis.tls: \(error)")
      }
      clientSettings.tls = configuration
    }
    self.clientSettings = clientSettings
    self.prefix = settings.keyPrefix
    self.logger = logger
    self.errors = registry.counter(
      "semantic_router_cache_backend_errors_total",
      help:
        "Shared-cache (Redis) operations that failed and became a miss or a skipped store, "
        + "by reason.",
      labelNames: ["reason"])
  }

  /// Finds the calling loop's cache (nil off the loops).
  public var provider: SharedCacheProvider {
    { [self] in
      guard let loop = EventLoop.current else { return nil }
      return cache(for: loop)
    }
  }

  private func cache(for loop: EventLoop) -> RedisSemanticCache {
    let id = ObjectIdentifier(loop)
    if let existing = caches.withLock({ $0[id] }) { return existing.cache }
    let client = RedisClient(settings: clientSettings, loop: loop, logger: logger)
    let errors = self.errors
    let cache = RedisSemanticCache(
      client: client, prefix: prefix, timeoutNanoseconds: clientSettings.timeoutNanoseconds
    ) { error in
      errors.labels(error.reason).increment()
    }
    caches.withLock { $0[id] = LoopCache(cache) }
    return cache
  }
}
