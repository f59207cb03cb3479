import Testing

@testable import Router

@Suite struct QueryEmbeddingCacheTests {
  @Test func aVote_staysWithItsVector_untilTheVectorIsStoredAgainOrDropped() throws {
    let cache = QueryEmbeddingCache(capacity: 2)
    cache.store([1, 0], for: "a")
    #expect(try #require(cache.embedding(for: "a")).vote == nil)
    cache.storeVote(("math", 0.75), for: "a")
    let kept = try #require(cache.embedding(for: "a"))
    #expect(kept.vector == [1, 0] && kept.vote?.category == "math" && kept.vote?.confidence == 0.75)
    // A vector stored again comes without a vote.
    cache.store([0, 1], for: "a")
    #expect(try #require(cache.embedding(for: "a")).vote == nil)
    // A vote for a text no longer stored is not kept.
    cache.store([1, 1], for: "b")
    cache.store([0, 0], for: "c")
    #expect(cache.embedding(for: "a") == nil)
    cache.storeVote(("law", 1), for: "a")
    #expect(cache.embedding(for: "a") == nil)
  }

  @Test func theLeastRecentlyUsed_isDroppedFirst() {
    let cache = QueryEmbeddingCache(capacity: 2)
    cache.store([1], for: "a")
    cache.store([2], for: "b")
    _ = cache.embedding(for: "a")
    cache.store([3], for: "c")
    #expect(cache.embedding(for: "b") == nil)
    #expect(cache.embedding(for: "a")?.vector == [1] && cache.embedding(for: "c")?.vector == [3])
  }
}
