import Transport

/// Attribute storages of the size spans start with, handed back once their span is exported
/// so that new spans reuse them.
///
/// A span's storage is allocated on the thread that starts the span and, without the pool,
/// freed on the export thread. glibc serves memory that crosses threads like that from its
/// shared arena under a lock, not from the thread's own cache, both for the free and for the
/// next allocation. Reusing storages skips both. At most `limit` spares are kept (the queue's
/// default size); beyond that storages are freed as before.
final class SpanAttributeStoragePool: @unchecked Sendable {
  // @unchecked Sendable: `spares` is only touched with `lock` held.
  static let shared = SpanAttributeStoragePool(limit: 2048)

  /// Room for a typical span's attributes (the router sets up to 12 on its root), so they are
  /// not regrown on the way.
  static let entryCapacity = 12
  static let textCapacity = entryCapacity * 32

  let limit: Int
  private let lock = ConditionLock()
  @exclusivity(unchecked) nonisolated(unsafe) private var spares: [SpanAttributeStorage] = []

  init(limit: Int) {
    self.limit = limit
  }

  /// An empty storage of the pooled size: a spare when there is one.
  func take() -> SpanAttributeStorage {
    lock.lock()
    let spare = spares.popLast()
    lock.unlock()
    return spare
      ?? .create(entryCapacity: Self.entryCapacity, textCapacity: Self.textCapacity, pooled: true)
  }

  /// Takes back, emptied, the pooled storages of `spans` that nothing else shares; those spans
  /// are left without attributes. Empties them before taking the lock, which `take` waits for.
  func recycle(_ spans: inout [SpanData]) {
    var emptied: [SpanAttributeStorage] = []
    emptied.reserveCapacity(spans.count)
    for index in spans.indices {
      if let storage = spans[index].attributes.takePooledStorage() { emptied.append(storage) }
    }
    guard !emptied.isEmpty else { return }
    lock.lock()
    if spares.isEmpty, emptied.count <= limit {
      // Usually so (new spans took the spares since the last batch): no copy under the lock.
      swap(&spares, &emptied)
    } else if spares.count < limit {
      spares.append(contentsOf: emptied.prefix(limit - spares.count))
    }
    lock.unlock()
  }

  /// Spares kept now.
  var spareCountForTesting: Int { lock.withLock { spares.count } }
}
