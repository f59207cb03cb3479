import Foundation
import Synchronization

/// A semantic response cache: answers a query with a stored response under the same key (the
/// chosen model, see `SemanticRouter.cacheKey`) whose query vector, of the same space (kind,
/// dimension and model), has cosine similarity at or above the threshold for its kind.
///
/// Bounded by entry count and by bytes (`entryBytes`; the least recently used entries are
/// evicted), by answer size (a larger answer is not stored) and by age (an entry older than the
/// TTL is never served and is dropped when found). Thread-safe; the entries, their recency
/// order and their total size are `CacheEntries`.
///
/// Lookups stay cheap with a full cache: an `LSHIndex` of random-hyperplane bands offers the
/// entries that may be near the query (a match at the threshold is missed with probability
/// below 0.5%, nearer ones far less), each entry's 64-bit signature (SimHash) drops candidates
/// whose Hamming distance a match exceeds with negligible probability (below 1e-6), and the
/// rest get the exact cosine check. The band codes are computed before the lock is taken, so
/// it is held for the probes and the candidates' cosines only.
public final class SemanticCache: Sendable {
  private struct State {
    var entries = CacheEntries()
    /// No entry was stored before this (nil: no entries), so while it is younger than the TTL
    /// nothing can have expired and a store into a full cache skips the scan for expired ones.
    var oldestStoredAt: ContinuousClock.Instant?
    var evictionsForBytes: UInt64 = 0
    var evictionsForEntries: UInt64 = 0
    var notStoredTooLarge: UInt64 = 0
  }

  /// The fixed part of an entry's size besides its vector: an estimate of its bookkeeping
  /// (signature, time, recency links, place in its group's list), of its index memberships
  /// (16 bytes a band, counted at 32 bands, more than the default thresholds take) and of the
  /// heap headers of its vector, body, content type and key.
  public static let entryOverheadBytes = 224 + 32 * 16

  public let settings: SemanticCacheSettings
  private let clock: @Sendable () -> ContinuousClock.Instant
  private let state = Mutex(State())
  /// Per vector kind: signatures further apart than this cannot belong to vectors at the
  /// kind's similarity threshold.
  private let maximumDistance: [QueryVector.Kind: Int]
  /// Per vector kind: the index's bands at the kind's threshold, nil to scan (a threshold too
  /// low for the index, see `LSHIndex.maxBands`, or `max_entries` below the indexed size).
  private let bands: [QueryVector.Kind: Int?]

  public init(
    settings: SemanticCacheSettings,
    clock: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
  ) {
    self.settings = settings
    self.clock = clock
    self.maximumDistance = [
      .lexical: Self.maximumDistance(threshold: settings.similarityThreshold),
      .embedding: Self.maximumDistance(threshold: settings.embeddingSimilarityThreshold),
    ]
    // No group can outgrow `max_entries`; below the indexed size every group is scanned, so
    // band codes would be computed and kept for nothing.
    let indexed = settings.maxEntries >= LSHIndex.minimumIndexedGroup
    self.bands = [
      .lexical: indexed ? LSHIndex.bands(forThreshold: settings.similarityThreshold) : nil,
      .embedding: indexed
        ? LSHIndex.bands(forThreshold: settings.embeddingSimilarityThreshold) : nil,
    ]
  }

  /// The band codes of `vector` for the index, nil when its kind's entries are scanned.
  private func codes(_ vector: QueryVector) -> [UInt16]? {
    guard let bands = bands[vector.kind] ?? nil else { return nil }
    return HyperplaneHash.bandCodes(of: vector.components, bands: bands)
  }

  /// Two vectors at angle θ differ in each signature bit with probability θ/π; allows the mean
  /// plus 5.5 standard deviations at the threshold's angle.
  private static func maximumDistance(threshold: Double) -> Int {
    let angle = acos(min(max(threshold, -1), 1))
    let p = angle / Double.pi
    let mean = 64 * p
    let deviation = (64 * p * (1 - p)).squareRoot()
    return min(64, Int((mean + 5.5 * deviation).rounded(.up)))
  }

  /// Number of entries held (expired ones included until they are found).
  public var count: Int { state.withLock { $0.entries.count } }

  /// What the cache holds and what its limits turned away so far.
  public var statistics: SemanticCacheStatistics {
    state.withLock { state in
      var statistics = SemanticCacheStatistics()
      statistics.entries = state.entries.count
      statistics.bytes = state.entries.bytes
      statistics.evictionsForBytes = state.evictionsForBytes
      statistics.evictionsForEntries = state.evictionsForEntries
      statistics.notStoredTooLarge = state.notStoredTooLarge
      return statistics
    }
  }

  /// The bytes an entry is counted as against `max_bytes`: its answer's body and content type,
  /// its key, its vector of `dimensions` floats, and `entryOverheadBytes`.
  public static func entryBytes(
    key: String, response: CachedResponse, dimensions: Int = QueryVector.dimensions
  ) -> Int {
    response.body.count + response.contentType.utf8.count + key.utf8.count
      + dimensions * MemoryLayout<Float>.size + entryOverheadBytes
  }

  /// The most similar fresh response stored under `key`, if similar enough.
  public func lookup(key: String, vector: QueryVector) -> CachedResponse? {
    guard vector.isUsable else { return nil }
    let group = CacheGroup(key: key, space: vector.space)
    let signature = vector.signature
    let now = clock()
    let ttl = Duration.seconds(settings.ttlSeconds)
    let threshold = settings.similarityThreshold(for: vector.kind)
    let maximumDistance = self.maximumDistance[vector.kind] ?? 64
    let codes = codes(vector)
    return state.withLock { state -> CachedResponse? in
      var best: (slot: Int, similarity: Double)?
      var expired: [Int] = []
      for slot in state.entries.candidates(in: group, codes: codes)
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
  /// one, evicting expired entries or else the least recently used ones until it fits. An
  /// answer larger than `maxAnswerBytes` (or than `maxBytes` once counted) is not stored.
  public func store(key: String, vector: QueryVector, response: CachedResponse) {
    guard vector.isUsable else { return }
    let group = CacheGroup(key: key, space: vector.space)
    let size = Self.entryBytes(key: key, response: response, dimensions: vector.components.count)
    let maxBytes = settings.maxBytes
    guard response.body.count <= settings.maxAnswerBytes, size <= maxBytes else {
      state.withLock { $0.notStoredTooLarge += 1 }
      return
    }
    let signature = vector.signature
    let now = clock()
    let ttl = Duration.seconds(settings.ttlSeconds)
    let threshold = settings.similarityThreshold(for: vector.kind)
    let maximumDistance = self.maximumDistance[vector.kind] ?? 64
    let maxEntries = settings.maxEntries
    let codes = codes(vector)
    state.withLock { state in
      if let same = state.entries.candidates(in: group, codes: codes).first(where: {
        (state.entries.signature($0) ^ signature).nonzeroBitCount <= maximumDistance
          && state.entries.cosine($0, vector) >= threshold
      }) {
        state.entries.replace(
          same, signature: signature, vector: vector, codes: codes, response: response,
          size: size, now: now)
        // The entry is the newest and fits alone, so the others make room if it grew.
        Self.evictForBytes(&state, toFit: 0, maxBytes: maxBytes)
        return
      }
      if state.entries.count >= maxEntries || state.entries.bytes + size > maxBytes,
        let oldest = state.oldestStoredAt, now - oldest >= ttl
      {
        Self.removeExpired(&state, now: now, ttl: ttl)
      }
      if state.entries.count >= maxEntries, let slot = state.entries.leastRecentlyUsed {
        state.entries.remove(slot)
        state.evictionsForEntries += 1
      }
      Self.evictForBytes(&state, toFit: size, maxBytes: maxBytes)
      state.entries.insert(
        group: group, signature: signature, vector: vector, codes: codes, response: response,
        size: size, now: now)
      if state.oldestStoredAt == nil { state.oldestStoredAt = now }
    }
  }

  /// Counts an answer not stored for its size that never reached `store` (a streamed answer
  /// whose content passed `maxAnswerBytes` while it was being assembled).
  public func countNotStoredTooLarge() {
    state.withLock { $0.notStoredTooLarge += 1 }
  }

  /// Drops every entry.
  public func removeAll() {
    state.withLock { state in
      state.entries.removeAll()
      state.oldestStoredAt = nil
    }
  }

  /// Evicts the least recently used entries until `size` more bytes fit within `maxBytes`.
  private static func evictForBytes(_ state: inout State, toFit size: Int, maxBytes: Int) {
    while state.entries.bytes + size > maxBytes, let slot = state.entries.leastRecentlyUsed {
      state.entries.remove(slot)
      state.evictionsForBytes += 1
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
