import Foundation
import Synchronization

/// A semantic response cache: answers a query with a stored response under the same key (the
/// chosen model, see `SemanticRouter.cacheKey`) whose query vector has cosine similarity at or
/// above the threshold.
///
/// Bounded by entry count (the least recently used entry is evicted) and by age (an entry older
/// than the TTL is never served and is dropped when found). Thread-safe; the entries and their
/// recency order are `CacheEntries`.
///
/// Lookups stay cheap with a full cache: each entry carries a 64-bit random-hyperplane
/// signature of its vector (SimHash), and only entries whose signature is within a Hamming
/// distance that a match at the threshold exceeds with negligible probability (below 1e-6)
/// get the exact cosine check.
public final class SemanticCache: Sendable {
  private struct State {
    var entries = CacheEntries()
    /// No entry was stored before this (nil: no entries), so while it is younger than the TTL
    /// nothing can have expired and a store into a full cache skips the scan for expired ones.
    var oldestStoredAt: ContinuousClock.Instant?
  }

  public let settings: SemanticCacheSettings
  private let clock: @Sendable () -> ContinuousClock.Instant
  private let state = Mutex(State())
  /// Signatures further apart than this cannot belong to vectors at the similarity threshold.
  private let maximumDistance: Int

  public init(
    settings: SemanticCacheSettings,
    clock: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
  ) {
    self.settings = settings
    self.clock = clock
    // Two vectors at angle θ differ in each hyperplane bit with probability θ/π; allow the mean
    // plus 5.5 standard deviations at the threshold's angle.
    let angle = acos(min(max(settings.similarityThreshold, -1), 1))
    let p = angle / Double.pi
    let mean = 64 * p
    let deviation = (64 * p * (1 - p)).squareRoot()
    self.maximumDistance = min(64, Int((mean + 5.5 * deviation).rounded(.up)))
  }

  /// Number of entries held (expired ones included until they are found).
  public var count: Int { state.withLock { $0.entries.count } }

  /// The most similar fresh response stored under `key`, if similar enough.
  public func lookup(key: String, vector: QueryVector) -> CachedResponse? {
    guard vector.components.count == QueryVector.dimensions else { return nil }
    let signature = vector.signature
    let now = clock()
    let ttl = Duration.seconds(settings.ttlSeconds)
    let threshold = settings.similarityThreshold
    let maximumDistance = self.maximumDistance
    return state.withLock { state -> CachedResponse? in
      var best: (slot: Int, similarity: Double)?
      var expired: [Int] = []
      for slot in state.entries.slots(for: key)
      where (state.entries.signature(slot) ^ signature).nonzeroBitCount <= maximumDistance {
        if now - state.entries.storedAt(slot) >= ttl {
          expired.append(slot)
          continue
        }
        let similarity = state.entries.cosine(slot, vector)
        if similarity >= threshold, similarity > best?.similarity ?? -1 {
          best = (slot, similarity)
        }
      }
      for slot in expired { state.entries.remove(slot) }
      guard let best else { return nil }
      state.entries.touch(best.slot)
      return state.entries.response(best.slot)
    }
  }

  /// Stores `response` under `key`; replaces the entry of an equally similar query, else adds
  /// one, evicting expired entries or else the least recently used one when full.
  public func store(key: String, vector: QueryVector, response: CachedResponse) {
    guard vector.components.count == QueryVector.dimensions,
      vector.components.contains(where: { $0 != 0 })
    else { return }
    let signature = vector.signature
    let now = clock()
    let ttl = Duration.seconds(settings.ttlSeconds)
    let threshold = settings.similarityThreshold
    let maximumDistance = self.maximumDistance
    let maxEntries = settings.maxEntries
    state.withLock { state in
      if let same = state.entries.slots(for: key).first(where: {
        (state.entries.signature($0) ^ signature).nonzeroBitCount <= maximumDistance
          && state.entries.cosine($0, vector) >= threshold
      }) {
        state.entries.replace(
          same, signature: signature, vector: vector, response: response, now: now)
        return
      }
      if state.entries.count >= maxEntries, let oldest = state.oldestStoredAt,
        now - oldest >= ttl
      {
        Self.removeExpired(&state, now: now, ttl: ttl)
      }
      if state.entries.count >= maxEntries, let slot = state.entries.leastRecentlyUsed {
        state.entries.remove(slot)
      }
      state.entries.insert(
        key: key, signature: signature, vector: vector, response: response, now: now)
      if state.oldestStoredAt == nil { state.oldestStoredAt = now }
    }
  }

  /// Drops every entry.
  public func removeAll() {
    state.withLock { state in
      state.entries.removeAll()
      state.oldestStoredAt = nil
    }
  }

  /// Drops every expired entry and records when the oldest remaining one was stored.
  private static func removeExpired(
    _ state: inout State, now: ContinuousClock.Instant, ttl: Duration
  ) {
    var oldest: ContinuousClock.Instant?
    for slot in state.entries.slotsByRecency {
      let storedAt = state.entries.storedAt(slot)
      if now - storedAt >= ttl {
        state.entries.remove(slot)
      } else if oldest.map({ storedAt < $0 }) ?? true {
        oldest = storedAt
      }
    }
    state.oldestStoredAt = oldest
  }
}
