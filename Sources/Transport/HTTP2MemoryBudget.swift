import Synchronization

/// The bytes every connection of a server holds (request data not yet consumed, response data
/// not yet sent), against a process-wide limit. Read and updated from any thread.
public final class HTTP2MemoryBudget: Sendable {
  /// The most bytes held before new streams are refused.
  public let maxBytes: Int
  private let held = Atomic<Int>(0)

  public init(maxBytes: Int) {
    self.maxBytes = maxBytes
  }

  /// Bytes held now.
  public var heldBytes: Int { held.load(ordering: .relaxed) }

  /// Whether the budget is spent (new streams must be refused).
  var isExhausted: Bool { heldBytes >= maxBytes }

  /// Adds `delta` (negative when bytes are released).
  func add(_ delta: Int) {
    guard delta != 0 else { return }
    held.wrappingAdd(delta, ordering: .relaxed)
  }
}
