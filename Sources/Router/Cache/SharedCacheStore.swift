/// A semantic cache outside the process (Redis), shared by replicas: lookups answer later, on
/// the calling event loop, and stores are fire-and-forget. One per event loop, confined to it.
///
/// The same contract as `SemanticCache` (key, vector, cosine at or above the threshold, TTL,
/// `max_entries` per key), with the settings passed on each call so a reload applies at once.
/// A store that fails or is slow answers a miss within its timeout and never fails a request.
public protocol SharedCacheStore: AnyObject {
  /// Calls `completion` on the loop, exactly once, with the most similar fresh answer or nil.
  func lookup(
    key: String, vector: QueryVector, settings: SemanticCacheSettings,
    completion: @escaping (CachedResponse?) -> Void)
  /// Stores `response`; a failure is counted and otherwise ignored.
  func store(
    key: String, vector: QueryVector, response: CachedResponse, settings: SemanticCacheSettings)
}

/// The shared cache of the calling event loop, nil when there is none (not on a loop, or the
/// backend is `memory`). Called on a loop thread.
public typealias SharedCacheProvider = @Sendable () -> (any SharedCacheStore)?
