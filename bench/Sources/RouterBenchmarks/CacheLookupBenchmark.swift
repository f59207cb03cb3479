import Foundation
import Logging
import Redis
import RedisCache
import Router
import Transport

/// `RouterBenchmarks cache --redis HOST:PORT [--entries N] [--lookups N]`: the latency (p50,
/// p99) and process CPU per semantic-cache lookup, in memory (`SemanticCache`) and in Redis
/// (`RedisSemanticCache` on an event loop driven by this thread), over the same `--entries`
/// stored answers and the same queries: half of them asked before (hits), half new (misses).
struct CacheLookupBenchmark {
  let redisAddress: String
  let entries: Int
  let lookups: Int

  init(arguments: BenchmarkArguments) throws {
    redisAddress = try arguments.string("redis")
    entries = try arguments.int("entries", default: 1000)
    lookups = try arguments.int("lookups", default: 5000)
  }

  func run() throws {
    let classifier = Classifier(
      categories: [CategoryConfiguration(name: "general")], fallbackCategory: "general",
      confidenceThreshold: 0.5)
    let stored = (0..<entries).map { classifier.classify(Self.question($0)).vector }
    let asked = (0..<lookups).map { index in
      classifier.classify(Self.question(index % 2 == 0 ? index % entries : entries + index))
        .vector
    }
    let answer = CachedResponse(
      body: Array(String(repeating: "a", count: 2048).utf8), contentType: "application/json")
    var settings = SemanticCacheSettings(enabled: true, maxEntries: entries * 2)
    settings.ttlSeconds = 600

    let memory = SemanticCache(settings: settings)
    for vector in stored { memory.store(key: "m", vector: vector, response: answer) }
    var memoryHits = 0
    let memoryResult = measure(asked) { vector, done in
      if memory.lookup(key: "m", vector: vector) != nil { memoryHits += 1 }
      done()
    } drive: { _ in }
    try ResultLine.write(memoryResult.line(backend: "memory", hits: memoryHits))

    let parts = redisAddress.split(separator: ":")
    guard parts.count == 2, let port = Int(parts[1]) else {
      throw BenchmarkArguments.Failure("--redis wants HOST:PORT")
    }
    let loop = try EventLoop()
    let client = RedisClient(
      settings: RedisClientSettings(
        address: try SocketAddress.resolve(host: String(parts[0]), port: port),
        timeoutNanoseconds: 1_000_000_000),
      loop: loop, logger: Logger(label: "bench.redis"))
    var errors = 0
    let redis = RedisSemanticCache(
      client: client, prefix: "bench:\(getpid()):", timeoutNanoseconds: 1_000_000_000
    ) { _ in errors += 1 }
    var flushed = false
    var storesSent = false
    loop.run(until: {
      if !flushed, !storesSent {
        storesSent = true
        for vector in stored {
          redis.store(key: "m", vector: vector, response: answer, settings: settings)
        }
        // Replies come in order: once PING answers, every store has been applied.
        client.send([[Array("PING".utf8)]]) { _ in flushed = true }
      }
      return flushed
    })
    var redisHits = 0
    let redisResult = measure(asked) { vector, done in
      redis.lookup(key: "m", vector: vector, settings: settings) { hit in
        if hit != nil { redisHits += 1 }
        done()
      }
    } drive: { finished in
      loop.run(until: finished)
    }
    try ResultLine.write(
      redisResult.line(backend: "redis", hits: redisHits).merging(["errors": errors]) { $1 })
    client.close()
  }

  /// Latencies and CPU over one run of lookups.
  private struct Result {
    var latencies: [Double]
    var cpuMicroseconds: Double

    func line(backend: String, hits: Int) -> [String: Any] {
      [
        "benchmark": "cache_lookup", "backend": backend, "lookups": latencies.count, "hits": hits,
        "p50_us": percentile(latencies, 0.50), "p99_us": percentile(latencies, 0.99),
        "cpu_us_per_lookup": cpuMicroseconds / Double(latencies.count),
      ]
    }
  }

  /// Runs one lookup per vector, one after another: `lookup` starts it and calls `done` when
  /// it answered; `drive` runs the event loop until the given condition holds.
  private func measure(
    _ vectors: [QueryVector], lookup: (QueryVector, @escaping () -> Void) -> Void,
    drive: (() -> Bool) -> Void
  ) -> Result {
    var latencies: [Double] = []
    latencies.reserveCapacity(vectors.count)
    let cpuStart = CPUTime.now()
    for vector in vectors {
      let started = ContinuousClock.now
      var answered = false
      lookup(vector) { answered = true }
      if !answered { drive { answered } }
      latencies.append((ContinuousClock.now - started).microseconds)
    }
    return Result(latencies: latencies, cpuMicroseconds: CPUTime.now().since(cpuStart))
  }

  /// A distinct question for each index: ten pseudo-random words of a 2,000-word made-up
  /// vocabulary, so unrelated questions share few words (as real ones do).
  private static func question(_ index: Int) -> String {
    var random = SplitMix64(seed: UInt64(index) &+ 1)
    var text = "Please explain"
    for _ in 0..<10 {
      var value = Int(random.next() % 2000)
      var word = ""
      for _ in 0..<3 {
        word.append(Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(value % 26))))
        value /= 26
      }
      text += " " + word + "o"
    }
    return text + " in simple terms."
  }
}
