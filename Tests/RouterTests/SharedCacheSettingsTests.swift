import Router
import Testing

/// A valid configuration whose `semantic_cache:` section follows (its first line is line 6).
private let configurationHead = RouterFixtures.oneModelYAML + "semantic_cache:\n"

@Suite struct SharedCacheSettingsTests {
  private func parse(_ cacheSection: String) throws -> SemanticCacheSettings {
    try RouterConfiguration.parse(yaml: configurationHead + cacheSection + "\n").semanticCache
  }

  private func issues(_ cacheSection: String) -> [ConfigurationIssue] {
    configurationIssues(configurationHead + cacheSection + "\n")
  }

  @Test func memoryIsTheDefaultBackend() throws {
    let settings = try parse("  enabled: true")
    #expect(settings.backend == .memory)
    #expect(settings.redis == nil)
  }

  @Test func redisURL_givesHostPortUserPasswordAndDatabase() throws {
    let settings = try parse(
      """
        enabled: true
        backend: redis
        redis:
          address: "redis://cache:secret@redis.internal:6380/2"
          password_env: REDIS_PASSWORD
          key_prefix: "team-a:"
          timeout_ms: 8
          max_pending_commands: 64
      """)
    #expect(settings.backend == .redis)
    let redis = try #require(settings.redis)
    #expect(redis.host == "redis.internal")
    #expect(redis.port == 6380)
    #expect(redis.username == "cache")
    #expect(redis.urlPassword == "secret")
    #expect(redis.database == 2)
    #expect(redis.passwordEnvironment == "REDIS_PASSWORD")
    #expect(redis.keyPrefix == "team-a:")
    #expect(redis.timeoutMilliseconds == 8)
    #expect(redis.maxPendingCommands == 64)
  }

  @Test func hostPort_takesDefaultsForTheRest() throws {
    let redis = try #require(
      try parse("  backend: redis\n  redis: { address: \"127.0.0.1:6379\" }").redis)
    #expect(redis.host == "127.0.0.1")
    #expect(redis.port == 6379)
    #expect(redis.database == 0)
    #expect(redis.keyPrefix == "vsr:")
    #expect(redis.timeoutMilliseconds == RedisCacheSettings.defaultTimeoutMilliseconds)
  }

  @Test func redissURL_turnsTLSOnWithTheDefaultPortAndSystemRoots() throws {
    let redis = try #require(
      try parse("  backend: redis\n  redis: { address: \"rediss://:pw@cache.internal/3\" }")
        .redis)
    #expect(redis.host == "cache.internal")
    #expect(redis.port == 6379)
    #expect(redis.urlPassword == "pw")
    #expect(redis.database == 3)
    #expect(redis.tls == RedisTLSSettings())
  }

  @Test func plainAddresses_leaveTLSOff() throws {
    for address in ["redis://h:1", "h:1"] {
      let redis = try #require(
        try parse("  backend: redis\n  redis: { address: \"\(address)\" }").redis)
      #expect(redis.tls == nil)
    }
  }

  @Test func tlsSettings_giveCAClientCertificateAndServerName() throws {
    let settings = try parse(
      """
        backend: redis
        redis:
          address: "rediss://10.0.0.7:6380"
          tls:
            ca_file: /etc/redis/ca.pem
            cert_file: /etc/redis/client.pem
            key_file: /etc/redis/client.key
            server_name: redis.internal
      """)
    let redis = try #require(settings.redis)
    #expect(redis.port == 6380)
    #expect(
      redis.tls
        == RedisTLSSettings(
          caFile: "/etc/redis/ca.pem", certificateFile: "/etc/redis/client.pem",
          keyFile: "/etc/redis/client.key", serverName: "redis.internal"))
  }

  @Test func aBadAddress_doesNotHideTheOtherBadValues() {
    let paths = Set(
      issues("  backend: redis\n  redis: { address: \"redis://h:x\", timeout_ms: 0 }").map(\.path))
    #expect(paths == ["semantic_cache.redis.address", "semantic_cache.redis.timeout_ms"])
  }

  @Test(arguments: [
    ("  backend: memcached", "semantic_cache.backend", "memory or redis"),
    ("  backend: redis", "semantic_cache.redis", "required when backend is redis"),
    ("  backend: redis\n  redis: { address: \"no-port\" }", "semantic_cache.redis.address",
     "host:port"),
    ("  backend: redis\n  redis: { address: \"h:99999\" }", "semantic_cache.redis.address",
     "1...65535"),
    ("  backend: redis\n  redis: { address: \"h:1\", tls: { ca_file: ca.pem } }",
     "semantic_cache.redis.tls", "needs a rediss:// address"),
    ("  backend: redis\n  redis: { address: \"rediss://h\", tls: { cert_file: c.pem } }",
     "semantic_cache.redis.tls.key_file", "required with cert_file"),
    ("  backend: redis\n  redis: { address: \"rediss://h\", tls: { ca: x } }",
     "semantic_cache.redis.tls.ca", "unknown key"),
    ("  backend: redis\n  redis: { address: \"redis://h/x\" }", "semantic_cache.redis.address",
     "not a number"),
    ("  backend: redis\n  redis: { address: \"h:1\", password_env: \"s3cr3t!\" }",
     "semantic_cache.redis.password_env", "not an environment variable name"),
    ("  backend: redis\n  redis: { address: \"h:1\", timeout_ms: 0 }",
     "semantic_cache.redis.timeout_ms", "between 1 and 10000"),
    ("  backend: redis\n  redis: { address: \"h:1\", port: 1 }", "semantic_cache.redis.port",
     "unknown key"),
  ])
  func badValues_areIssuesWithKeyAndLine(section: String, path: String, message: String) {
    let found = issues(section)
    let issue = found.first { $0.path == path }
    #expect(issue != nil, "\(found)")
    #expect(issue?.line != nil)
    #expect(issue?.message.contains(message) == true, "\(String(describing: issue))")
  }
}
