/// What a `SemanticCache` holds and what its limits turned away, as `/metrics` reports it.
public struct SemanticCacheStatistics: Sendable, Equatable {
  /// Entries held (expired ones included until they are found).
  public var entries = 0
  /// The bytes the entries held are counted as (`SemanticCache.entryBytes`).
  public var bytes = 0
  /// Least recently used entries evicted to keep within `max_bytes`.
  public var evictionsForBytes: UInt64 = 0
  /// Least recently used entries evicted to keep within `max_entries`.
  public var evictionsForEntries: UInt64 = 0
  /// Answers not stored because they were larger than `max_answer_bytes` (or, counted with
  /// their key and overhead, than `max_bytes`).
  public var notStoredTooLarge: UInt64 = 0

  public init() {}
}
