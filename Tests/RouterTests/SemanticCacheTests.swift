import Router
import Synchronization
import Testing

/// A clock tests move by hand.
final class ManualClock: Sendable {
  private let now = Mutex(ContinuousClock.now)
  func read() -> ContinuousClock.Instant { now.withLock { $0 } }
  func advance(_ duration: Duration) { now.withLock { $0 = $0.advanced(by: duration) } }
}

/// A valid configuration without a `semantic_cache` section.
private let configurationWithoutCache = RouterFixtures.oneModelYAML

@Suite struct SemanticCacheTests {
  static let classifier = Classifier(
    categories: [CategoryConfiguration(name: "general")], fallbackCategory: "general",
    confidenceThreshold: 0.5)

  private func vector(_ text: String) -> QueryVector { Self.classifier.classify(text).vector }
  private func response(_ text: String) -> CachedResponse {
    CachedResponse(body: Array(text), contentType: "application/json")
  }

  /// An answer body of exactly `bytes` bytes.
  private func response(bytes: Int) -> CachedResponse {
    CachedResponse(body: [UInt8](repeating: 0x61, count: bytes), contentType: "application/json")
  }

  private func cache(
    maxEntries: Int = 10, maxBytes: Int = SemanticCacheSettings.defaultMaxBytes,
    maxAnswerBytes: Int = SemanticCacheSettings.defaultMaxAnswerBytes, ttl: Int = 60,
    clock: ManualClock = ManualClock()
  ) -> SemanticCache {
    SemanticCache(
      settings: SemanticCacheSettings(
        enabled: true, similarityThreshold: 0.9, maxEntries: maxEntries, maxBytes: maxBytes,
        maxAnswerBytes: maxAnswerBytes, ttlSeconds: ttl),
      clock: { clock.read() })
  }

  /// The problems of a configuration whose `semantic_cache:` section is `cacheSection` (its
  /// first line is line 7).
  private func issues(_ cacheSection: String) -> [ConfigurationIssue] {
    configurationIssues(configurationWithoutCache + "semantic_cache:\n" + cacheSection + "\n")
  }

  @Test func similarQuery_forTheSameModel_hits() {
    let cache = cache()
    cache.store(
      key: "m", vector: vector("What is the capital of France?"), response: response("Paris"))
    #expect(
      cache.lookup(key: "m", vector: vector("what is the capital of france")) == response("Paris"))
  }

  @Test func otherQueryOrOtherModel_misses() {
    let cache = cache()
    cache.store(
      key: "m", vector: vector("What is the capital of France?"), response: response("Paris"))
    #expect(cache.lookup(key: "m", vector: vector("How do I bake sourdough bread?")) == nil)
    #expect(cache.lookup(key: "other", vector: vector("What is the capital of France?")) == nil)
  }

  @Test func entries_expireAfterTheTTL() {
    let clock = ManualClock()
    let cache = cache(ttl: 30, clock: clock)
    cache.store(key: "m", vector: vector("capital of France"), response: response("Paris"))
    clock.advance(.seconds(29))
    #expect(cache.lookup(key: "m", vector: vector("capital of France")) != nil)
    clock.advance(.seconds(1))
    #expect(cache.lookup(key: "m", vector: vector("capital of France")) == nil)
    #expect(cache.count == 0)
  }

  @Test func full_evictsTheLeastRecentlyUsed() {
    let cache = cache(maxEntries: 2)
    cache.store(key: "m", vector: vector("capital of France"), response: response("Paris"))
    cache.store(
      key: "m", vector: vector("tallest mountain on earth"), response: response("Everest"))
    #expect(cache.lookup(key: "m", vector: vector("capital of France")) != nil)  // now most recent
    cache.store(key: "m", vector: vector("largest ocean"), response: response("Pacific"))
    #expect(cache.count == 2)
    #expect(cache.lookup(key: "m", vector: vector("tallest mountain on earth")) == nil)
    #expect(cache.lookup(key: "m", vector: vector("capital of France")) == response("Paris"))
    #expect(cache.lookup(key: "m", vector: vector("largest ocean")) == response("Pacific"))
    #expect(cache.statistics.evictionsForEntries == 1)
    #expect(cache.statistics.evictionsForBytes == 0)
  }

  @Test func byteBudget_evictsTheLeastRecentlyUsed_untilTheNewEntryFits() {
    let size = SemanticCache.entryBytes(key: "m", response: response(bytes: 1000))
    let cache = cache(maxBytes: 3 * size)
    let texts = ["capital of France", "tallest mountain on earth", "largest ocean"]
    for text in texts {
      cache.store(key: "m", vector: vector(text), response: response(bytes: 1000))
    }
    #expect(cache.statistics.bytes == 3 * size)
    // France becomes the most recently used: the mountain, then the ocean, go first.
    #expect(cache.lookup(key: "m", vector: vector("capital of France")) != nil)
    let bread = vector("How do I bake sourdough bread?")
    // Twice the size of the others: two of them must make room.
    cache.store(key: "m", vector: bread, response: response(bytes: 1000 + size))
    #expect(cache.count == 2)
    #expect(cache.lookup(key: "m", vector: vector("tallest mountain on earth")) == nil)
    #expect(cache.lookup(key: "m", vector: vector("largest ocean")) == nil)
    #expect(cache.lookup(key: "m", vector: vector("capital of France")) == response(bytes: 1000))
    #expect(cache.lookup(key: "m", vector: bread) == response(bytes: 1000 + size))
    #expect(cache.statistics.bytes == 3 * size)
    #expect(cache.statistics.evictionsForBytes == 2)
    #expect(cache.statistics.evictionsForEntries == 0)
  }

  @Test func replacingWithALargerAnswer_evictsOthersForBytes_notItself() {
    let size = SemanticCache.entryBytes(key: "m", response: response(bytes: 1000))
    let cache = cache(maxBytes: 3 * size)
    let texts = ["capital of France", "tallest mountain on earth", "largest ocean"]
    for text in texts {
      cache.store(key: "m", vector: vector(text), response: response(bytes: 1000))
    }
    cache.store(
      key: "m", vector: vector("Capital of France"), response: response(bytes: 1000 + size))
    #expect(cache.lookup(key: "m", vector: vector("tallest mountain on earth")) == nil)
    #expect(cache.lookup(key: "m", vector: vector("largest ocean")) == response(bytes: 1000))
    #expect(
      cache.lookup(key: "m", vector: vector("capital of France")) == response(bytes: 1000 + size))
    #expect(cache.statistics.bytes == 3 * size)
    #expect(cache.statistics.evictionsForBytes == 1)
  }

  @Test func entryBytes_countsBodyContentTypeKeyVectorAndTheFixedOverhead() {
    let answer = CachedResponse(body: Array("{}".utf8), contentType: "application/json")
    #expect(
      SemanticCache.entryBytes(key: "model#1", response: answer)
        == 2 + 16 + 7 + 256 * 4 + SemanticCache.entryOverheadBytes)
    #expect(
      SemanticCache.entryBytes(key: "model#1", response: answer, dimensions: 384)
        == 2 + 16 + 7 + 384 * 4 + SemanticCache.entryOverheadBytes)
  }

  @Test func embeddingVectors_matchAtTheirOwnThreshold_andNeverALexicalEntry() {
    let settings = SemanticCacheSettings(enabled: true, similarityThreshold: 0.99)
    #expect(settings.embeddingSimilarityThreshold < 0.99)
    let cache = SemanticCache(settings: settings)
    // Two 384-dimension embeddings at cosine 0.95 (above the embedding threshold only).
    var first = [Float](repeating: 0, count: 384)
    var second = first
    first[0] = 1
    second[0] = 0.95
    second[1] = (1 - 0.9025 as Float).squareRoot()
    cache.store(key: "m", vector: QueryVector(embedding: first), response: response("embedded"))
    #expect(cache.lookup(key: "m", vector: QueryVector(embedding: second)) == response("embedded"))
    // A lexical vector never meets an embedding, even where the components agree.
    var lexical = [Float](repeating: 0, count: QueryVector.dimensions)
    lexical[0] = 1
    #expect(cache.lookup(key: "m", vector: QueryVector(components: lexical)) == nil)
    cache.store(key: "m", vector: QueryVector(components: lexical), response: response("lexical"))
    #expect(cache.lookup(key: "m", vector: QueryVector(components: lexical)) == response("lexical"))
    #expect(cache.lookup(key: "m", vector: QueryVector(embedding: first)) == response("embedded"))
    // Nor does an embedding of another dimension (another model after a reload).
    #expect(cache.lookup(key: "m", vector: QueryVector(embedding: Array(first.prefix(256)))) == nil)
  }

  @Test func answerAboveMaxAnswerBytes_isNotStored_andCounted_andEvictsNothing() {
    let cache = cache(maxAnswerBytes: 100)
    cache.store(key: "m", vector: vector("capital of France"), response: response(bytes: 100))
    let ocean = vector("largest ocean")
    cache.store(key: "m", vector: ocean, response: response(bytes: 101))
    #expect(cache.lookup(key: "m", vector: ocean) == nil)
    #expect(cache.count == 1)
    #expect(cache.lookup(key: "m", vector: vector("capital of France")) == response(bytes: 100))
    #expect(cache.statistics.notStoredTooLarge == 1)
    #expect(cache.statistics.evictionsForBytes == 0)
  }

  @Test func answerThatFitsMaxAnswerBytes_butNotMaxBytesWithItsOverhead_isNotStored() {
    let size = SemanticCache.entryBytes(key: "m", response: response(bytes: 100))
    let cache = cache(maxBytes: size - 1, maxAnswerBytes: 100)
    cache.store(key: "m", vector: vector("largest ocean"), response: response(bytes: 100))
    #expect(cache.count == 0)
    #expect(cache.statistics.notStoredTooLarge == 1)
    cache.store(key: "m", vector: vector("largest ocean"), response: response(bytes: 99))
    #expect(cache.count == 1)
  }

  @Test func bytes_followStoresReplacementsExpiryAndRemoveAll() {
    let clock = ManualClock()
    let cache = cache(ttl: 30, clock: clock)
    func size(_ bytes: Int) -> Int {
      SemanticCache.entryBytes(key: "m", response: response(bytes: bytes))
    }
    #expect(cache.statistics.bytes == 0)
    cache.store(key: "m", vector: vector("largest ocean"), response: response(bytes: 500))
    clock.advance(.seconds(20))
    cache.store(key: "m", vector: vector("capital of France"), response: response(bytes: 10))
    #expect(cache.statistics.bytes == size(500) + size(10))
    cache.store(key: "m", vector: vector("Capital of France"), response: response(bytes: 40))
    #expect(cache.statistics.bytes == size(500) + size(40))
    #expect(cache.statistics.entries == 2)
    // The ocean, stored first, expires first and is dropped when found.
    clock.advance(.seconds(10))
    #expect(cache.lookup(key: "m", vector: vector("largest ocean")) == nil)
    #expect(cache.statistics.bytes == size(40))
    #expect(cache.statistics.entries == 1)
    cache.removeAll()
    #expect(cache.statistics.bytes == 0)
    #expect(cache.statistics.entries == 0)
  }

  @Test func defaults_areSixtyFourMiBAndOneMiB() throws {
    let settings = try RouterConfiguration.parse(yaml: configurationWithoutCache).semanticCache
    #expect(settings.maxBytes == 64 << 20)
    #expect(settings.maxAnswerBytes == 1 << 20)
  }

  @Test func sizeSettings_areRead_andABudgetBelowTheAnswerLimitLowersIt() throws {
    let both = try RouterConfiguration.parse(
      yaml: configurationWithoutCache
        + "semantic_cache: { max_bytes: 8388608, max_answer_bytes: 4096 }\n")
    #expect(both.semanticCache.maxBytes == 8 << 20)
    #expect(both.semanticCache.maxAnswerBytes == 4096)
    let small = try RouterConfiguration.parse(
      yaml: configurationWithoutCache + "semantic_cache: { max_bytes: 65536 }\n")
    #expect(small.semanticCache.maxAnswerBytes == 65536)
  }

  @Test func thresholds_areReadPerVectorKind_withTheEmbeddingDefault() throws {
    let defaults = try RouterConfiguration.parse(yaml: configurationWithoutCache).semanticCache
    #expect(defaults.similarityThreshold(for: .lexical) == 0.95)
    #expect(defaults.similarityThreshold(for: .embedding) == 0.93)
    let set = try RouterConfiguration.parse(
      yaml: configurationWithoutCache
        + "semantic_cache: { similarity_threshold: 0.9, embedding_similarity_threshold: 0.8 }\n")
    #expect(set.semanticCache.similarityThreshold(for: .lexical) == 0.9)
    #expect(set.semanticCache.similarityThreshold(for: .embedding) == 0.8)
  }

  @Test(arguments: [
    (
      "  embedding_similarity_threshold: 1.5", "semantic_cache.embedding_similarity_threshold",
      "must be between"
    ),
    ("  max_bytes: 0", "semantic_cache.max_bytes", "must be between 1 and"),
    ("  max_bytes: 64MiB", "semantic_cache.max_bytes", "expected an integer"),
    ("  max_answer_bytes: -1", "semantic_cache.max_answer_bytes", "must be between 1 and"),
    ("  max_answer_bytes: 1.5", "semantic_cache.max_answer_bytes", "expected an integer"),
    (
      "  max_bytes: 1000\n  max_answer_bytes: 1001", "semantic_cache.max_answer_bytes",
      "must not exceed max_bytes (1000)"
    ),
  ])
  func badSizeSettings_areErrors_atTheirLine(section: String, path: String, message: String) {
    let found = issues(section)
    let line = 7 + section.split(separator: "\n").count - 1
    #expect(found.count == 1)
    #expect(
      found.contains { $0.path == path && $0.message.contains(message) && $0.line == line },
      "\(found)")
  }

  @Test func storingTheSameQuery_replacesTheAnswer() {
    let cache = cache()
    cache.store(key: "m", vector: vector("capital of France"), response: response("Paris?"))
    cache.store(key: "m", vector: vector("Capital of France"), response: response("Paris"))
    #expect(cache.count == 1)
    #expect(cache.lookup(key: "m", vector: vector("capital of france")) == response("Paris"))
  }

  @Test func similarQuery_isFound_amongManyDissimilarEntries() {
    let cache = cache(maxEntries: 2000)
    let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    for i in 0..<1000 {
      let text =
        "\(words[i % 8]) \(words[(i / 8) % 8]) \(String(i * 7919, radix: 36)) item \(String(i, radix: 36))"
      cache.store(key: "m", vector: vector(text), response: response("filler"))
    }
    cache.store(
      key: "m", vector: vector("What is the capital of France?"), response: response("Paris"))
    #expect(cache.count == 1001)
    #expect(
      cache.lookup(key: "m", vector: vector("what is the capital of france")) == response("Paris"))
    #expect(cache.lookup(key: "m", vector: vector("How do I bake sourdough bread?")) == nil)
  }

  @Test func eviction_acrossManyKeys_followsRecency_andKeepsEveryOtherEntryFindable() {
    let cache = cache(maxEntries: 20)
    let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    func entry(_ i: Int) -> (key: String, vector: QueryVector) {
      ("k\(i % 7)", vector("\(words[i % 8]) \(String(i * 7919, radix: 36)) item \(i)x"))
    }
    for i in 0..<20 {
      cache.store(key: entry(i).key, vector: entry(i).vector, response: response("\(i)"))
    }
    for i in [0, 5] { #expect(cache.lookup(key: entry(i).key, vector: entry(i).vector) != nil) }
    for i in 20..<30 {
      cache.store(key: entry(i).key, vector: entry(i).vector, response: response("\(i)"))
    }
    #expect(cache.count == 20)
    let evicted = Set([1, 2, 3, 4, 6, 7, 8, 9, 10, 11])
    for i in 0..<30 {
      let found = cache.lookup(key: entry(i).key, vector: entry(i).vector)
      #expect(found == (evicted.contains(i) ? nil : response("\(i)")), "entry \(i)")
    }
  }

  @Test func emptyQueries_areNotStored() {
    let cache = cache()
    cache.store(key: "m", vector: vector(""), response: response("x"))
    #expect(cache.count == 0)
  }

  /// Thousands of embedding entries (past `LSHIndex.minimumIndexedGroup`, so lookups probe
  /// the index) with evictions: every entry held is found by a paraphrase of it (cosine about
  /// 0.95), and an evicted one never is.
  @Test func aFullEmbeddingCache_findsWhatItHolds_andNothingItEvicted() {
    var settings = SemanticCacheSettings(enabled: true, maxEntries: 3500)
    settings.embeddingSimilarityThreshold = 0.9
    let cache = SemanticCache(settings: settings)
    var random = SystemRandomNumberGenerator()
    // 64 dimensions keep the debug build quick; the index works alike at any dimension.
    func direction() -> [Float] { (0..<64).map { _ in Float.random(in: -1...1, using: &random) } }
    let stored = (0..<4000).map { _ in QueryVector(embedding: direction()) }
    for (number, vector) in stored.enumerated() {
      cache.store(key: "m", vector: vector, response: response("answer \(number)"))
    }
    #expect(cache.count == 3500)
    #expect(cache.statistics.evictionsForEntries == 500)
    var found = 0
    for (number, vector) in stored.enumerated() {
      // A paraphrase: mostly the stored direction plus an orthogonal-ish part.
      let noise = QueryVector(embedding: direction()).components
      let near = QueryVector(
        embedding: zip(vector.components, noise).map { 0.95 * $0 + 0.31 * $1 })
      let hit = cache.lookup(key: "m", vector: near)
      if number < 500 {
        #expect(hit == nil)
      } else if hit == response("answer \(number)") {
        found += 1
      }
    }
    #expect(found >= 3490, "found \(found) of 3500")
  }
}
