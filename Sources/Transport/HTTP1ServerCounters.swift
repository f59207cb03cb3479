import Synchronization

/// What an `HTTP1Server` turned away for its connection limit, for `/metrics`. Read from any
/// thread.
public final class HTTP1ServerCounters: Sendable {
  private let refused = Atomic<UInt64>(0)

  public init() {}

  /// Connections past the limit that were not served: closed on accept, closed while still
  /// silent to make room for a newer one, or answered 503 for a path that is not a priority
  /// path.
  public var connectionsRefused: UInt64 { refused.load(ordering: .relaxed) }

  func recordRefused() {
    refused.wrappingAdd(1, ordering: .relaxed)
  }
}
