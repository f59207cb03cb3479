import Synchronization

/// The snapshot new streams use, swapped whole by a reload. Reading it is one lock and a
/// reference copy, so every stream start can afford it.
public final class RouterSnapshotHolder: Sendable {
  private let snapshot: Mutex<RouterSnapshot>

  public init(_ snapshot: RouterSnapshot) {
    self.snapshot = Mutex(snapshot)
  }

  /// The snapshot in force now.
  public var current: RouterSnapshot {
    snapshot.withLock { $0 }
  }

  /// Puts `next` in force for streams that start from now on; returns the one it replaces.
  @discardableResult
  public func replace(with next: RouterSnapshot) -> RouterSnapshot {
    snapshot.withLock { current in
      defer { current = next }
      return current
    }
  }
}
