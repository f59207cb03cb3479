import Synchronization

/// A semantic response cache: answers a query with a stored response under the same key (the
/// chosen model, see `SemanticRouter.cacheKey`) whose query vector has cosine similarity at or
/// above the threshold.
///
/// Bounded by entry count (the least recently used entry is evicted) and by age (an entry older
/// than the TTL is never served and is dropped when found). Thread-safe; lookups scan the
/// key's entries under a lock (a 256-float dot product each).
public final class SemanticCache: Sendable {
  private struct Entry {
    var key: String
    var vector: QueryVector
    var response: CachedResponse
    var storedAt: ContinuousClock.Instant
    /// Tick of the last store or hit (higher is more recent).
    var lastUsed: UInt64
  }

  private struct State {
    var entries: [Entry] = []
    var tick: UInt64 = 0
  }

  public let settings: SemanticCacheSettings
  private let clock: @Sendable () -> ContinuousClock.Instant
  private let state = Mutex(State())

  public init(
    settings: SemanticCacheSettings,
    clock: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
  ) {
    self.settings = settings
    self.clock = clock
  }

  /// Number of entries held (expired ones included until they are found).
  public var count: Int { state.withLock { $0.entries.count } }

  /// The most similar fresh response stored under `key`, if similar enough.
  public func lookup(key: String, vector: QueryVector) -> CachedResponse? {
    let now = clock()
    let ttl = Duration.seconds(settings.ttlSeconds)
    let threshold = settings.similarityThreshold
    return state.withLock { state in
      var best: (index: Int, similarity: Double)?
      var index = 0
      while index < state.entries.count {
        let entry = state.entries[index]
        if entry.key == key {
          if now - entry.storedAt >= ttl {
            state.entries.swapAt(index, state.entries.count - 1)
            state.entries.removeLast()
            continue
          }
          let similarity = entry.vector.cosine(vector)
          if similarity >= threshold, similarity > best?.similarity ?? -1 {
            best = (index, similarity)
          }
        }
        index += 1
      }
      guard let best else { return nil }
      state.tick += 1
      state.entries[best.index].lastUsed = state.tick
      return state.entries[best.index].response
    }
  }

  /// Stores `response` under `key`; replaces an entry of an equally similar query, else adds
  /// one, evicting an expired or else the least recently used entry when full.
  public func store(key: String, vector: QueryVector, response: CachedResponse) {
    guard vector.components.contains(where: { $0 != 0 }) else { return }
    let now = clock()
    let ttl = Duration.seconds(settings.ttlSeconds)
    let threshold = settings.similarityThreshold
    state.withLock { state in
      state.tick += 1
      let entry = Entry(
        key: key, vector: vector, response: response, storedAt: now, lastUsed: state.tick)
      if let same = state.entries.firstIndex(where: {
        $0.key == key && $0.vector.cosine(vector) >= threshold
      }) {
        state.entries[same] = entry
        return
      }
      if state.entries.count >= settings.maxEntries {
        state.entries.removeAll { now - $0.storedAt >= ttl }
      }
      if state.entries.count >= settings.maxEntries,
        let oldest = state.entries.indices.min(by: {
          state.entries[$0].lastUsed < state.entries[$1].lastUsed
        })
      {
        state.entries.swapAt(oldest, state.entries.count - 1)
        state.entries.removeLast()
      }
      state.entries.append(entry)
    }
  }

  /// Drops every entry.
  public func removeAll() {
    state.withLock { $0.entries.removeAll() }
  }
}
