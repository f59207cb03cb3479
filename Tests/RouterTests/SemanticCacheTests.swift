import Router
import Synchronization
import Testing

/// A clock tests move by hand.
final class ManualClock: Sendable {
  private let now = Mutex(ContinuousClock.now)
  func read() -> ContinuousClock.Instant { now.withLock { $0 } }
  func advance(_ duration: Duration) { now.withLock { $0 = $0.advanced(by: duration) } }
}

@Suite struct SemanticCacheTests {
  static let classifier = Classifier(
    categories: [CategoryConfiguration(name: "general")], fallbackCategory: "general",
    confidenceThreshold: 0.5)

  private func vector(_ text: String) -> QueryVector { Self.classifier.classify(text).vector }
  private func response(_ text: String) -> CachedResponse {
    CachedResponse(body: Array(text), contentType: "application/json")
  }

  private func cache(maxEntries: Int = 10, ttl: Int = 60, clock: ManualClock = ManualClock())
    -> SemanticCache
  {
    SemanticCache(
      settings: SemanticCacheSettings(
        enabled: true, similarityThreshold: 0.9, maxEntries: maxEntries, ttlSeconds: ttl),
      clock: { clock.read() })
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
}
