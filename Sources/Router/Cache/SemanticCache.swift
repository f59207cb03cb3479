import Foundation
import Synchronization

/// A semantic response cache: answers a query with a stored response under the same key (the
/// chosen model, see `SemanticRouter.cacheKey`) whose query vector has cosine similarity at or
/// above the threshold.
///
/// Bounded by entry count (the least recently used entry is evicted) and by age (an entry older
/// than the TTL is never served and is dropped when found). Thread-safe.
///
/// Lookups stay cheap with a full cache: each entry carries a 64-bit random-hyperplane
/// signature of its vector (SimHash), and only entries whose signature is within a Hamming
/// distance that a match at the threshold exceeds with negligible probability (below 1e-6)
/// get the exact cosine check.
public final class SemanticCache: Sendable {
  /// The entries of one key, in parallel arrays (vectors flattened), so a scan touches only
  /// signatures until one is close.
  private struct Bucket {
    var signatures: [UInt64] = []
    var vectors: [Float] = []
    var responses: [CachedResponse] = []
    var storedAt: [ContinuousClock.Instant] = []
    /// Tick of the last store or hit (higher is more recent).
    var lastUsed: [UInt64] = []

    var count: Int { signatures.count }

    func cosine(_ index: Int, _ vector: QueryVector) -> Double {
      vectors.withUnsafeBufferPointer { all in
        let start = index * QueryVector.dimensions
        return vector.cosine(
          UnsafeBufferPointer(rebasing: all[start..<(start + QueryVector.dimensions)]))
      }
    }

    mutating func append(
      _ signature: UInt64, _ vector: QueryVector, _ response: CachedResponse,
      _ now: ContinuousClock.Instant, _ tick: UInt64
    ) {
      signatures.append(signature)
      vectors.append(contentsOf: vector.components)
      responses.append(response)
      storedAt.append(now)
      lastUsed.append(tick)
    }

    mutating func replace(
      _ index: Int, _ vector: QueryVector, _ response: CachedResponse,
      _ now: ContinuousClock.Instant, _ tick: UInt64
    ) {
      let start = index * QueryVector.dimensions
      vectors.replaceSubrange(start..<(start + QueryVector.dimensions), with: vector.components)
      responses[index] = response
      storedAt[index] = now
      lastUsed[index] = tick
    }

    /// Removes entry `index` by moving the last entry into its place.
    mutating func remove(_ index: Int) {
      let last = count - 1
      if index != last {
        signatures[index] = signatures[last]
        responses[index] = responses[last]
        storedAt[index] = storedAt[last]
        lastUsed[index] = lastUsed[last]
        let dimensions = QueryVector.dimensions
        for offset in 0..<dimensions {
          vectors[index * dimensions + offset] = vectors[last * dimensions + offset]
        }
      }
      signatures.removeLast()
      responses.removeLast()
      storedAt.removeLast()
      lastUsed.removeLast()
      vectors.removeLast(QueryVector.dimensions)
    }
  }

  private struct State {
    var buckets: [String: Bucket] = [:]
    var count = 0
    var tick: UInt64 = 0
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
  public var count: Int { state.withLock { $0.count } }

  /// The most similar fresh response stored under `key`, if similar enough.
  public func lookup(key: String, vector: QueryVector) -> CachedResponse? {
    guard vector.components.count == QueryVector.dimensions else { return nil }
    let signature = vector.signature
    let now = clock()
    let ttl = Duration.seconds(settings.ttlSeconds)
    let threshold = settings.similarityThreshold
    let maximumDistance = self.maximumDistance
    return state.withLock { state -> CachedResponse? in
      guard var bucket = state.buckets.removeValue(forKey: key) else { return nil }
      defer { state.buckets[key] = bucket }
      var best: (index: Int, similarity: Double)?
      var index = 0
      while index < bucket.count {
        if (bucket.signatures[index] ^ signature).nonzeroBitCount <= maximumDistance {
          if now - bucket.storedAt[index] >= ttl {
            bucket.remove(index)
            state.count -= 1
            continue
          }
          let similarity = bucket.cosine(index, vector)
          if similarity >= threshold, similarity > best?.similarity ?? -1 {
            best = (index, similarity)
          }
        }
        index += 1
      }
      guard let best else { return nil }
      state.tick += 1
      bucket.lastUsed[best.index] = state.tick
      return bucket.responses[best.index]
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
      state.tick += 1
      if var bucket = state.buckets[key],
        let same = bucket.signatures.indices.first(where: {
          (bucket.signatures[$0] ^ signature).nonzeroBitCount <= maximumDistance
            && bucket.cosine($0, vector) >= threshold
        })
      {
        bucket.replace(same, vector, response, now, state.tick)
        state.buckets[key] = bucket
        return
      }
      if state.count >= maxEntries, let oldest = state.oldestStoredAt, now - oldest >= ttl {
        Self.removeExpired(&state, now: now, ttl: ttl)
      }
      if state.count >= maxEntries { Self.removeLeastRecentlyUsed(&state) }
      state.buckets[key, default: Bucket()].append(signature, vector, response, now, state.tick)
      state.count += 1
      if state.oldestStoredAt == nil { state.oldestStoredAt = now }
    }
  }

  /// Drops every entry.
  public func removeAll() {
    state.withLock { state in
      state.buckets.removeAll()
      state.count = 0
      state.oldestStoredAt = nil
    }
  }

  /// Drops every expired entry and records when the oldest remaining one was stored.
  private static func removeExpired(
    _ state: inout State, now: ContinuousClock.Instant, ttl: Duration
  ) {
    var oldest: ContinuousClock.Instant?
    for key in Array(state.buckets.keys) {
      guard var bucket = state.buckets.removeValue(forKey: key) else { continue }
      var index = 0
      while index < bucket.count {
        if now - bucket.storedAt[index] >= ttl {
          bucket.remove(index)
          state.count -= 1
        } else {
          let storedAt = bucket.storedAt[index]
          if oldest.map({ storedAt < $0 }) ?? true { oldest = storedAt }
          index += 1
        }
      }
      if bucket.count > 0 { state.buckets[key] = bucket }
    }
    state.oldestStoredAt = oldest
  }

  private static func removeLeastRecentlyUsed(_ state: inout State) {
    var oldest: (key: String, index: Int, tick: UInt64)?
    for (key, bucket) in state.buckets {
      for index in 0..<bucket.count where bucket.lastUsed[index] < oldest?.tick ?? .max {
        oldest = (key, index, bucket.lastUsed[index])
      }
    }
    guard let oldest, var bucket = state.buckets.removeValue(forKey: oldest.key) else { return }
    bucket.remove(oldest.index)
    state.count -= 1
    if bucket.count > 0 { state.buckets[oldest.key] = bucket }
  }
}
