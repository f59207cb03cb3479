import Synchronization

/// How many received header blocks were refused for passing a header list limit
/// (`HTTP2Settings.maxHeaderListBytes`, `maxHeaderCount`), for `/metrics`. One object is shared
/// by every connection made with the same settings; read from any thread.
public final class HTTP2HeaderLimitCounters: Sendable {
  private let size = Atomic<UInt64>(0)
  private let count = Atomic<UInt64>(0)

  public init() {}

  /// Blocks refused for passing `maxHeaderListBytes`.
  public var sizeExceeded: UInt64 { size.load(ordering: .relaxed) }
  /// Blocks refused for passing `maxHeaderCount`.
  public var countExceeded: UInt64 { count.load(ordering: .relaxed) }

  func record(_ limit: HTTP2ReceivedHeaderList.Exceeded) {
    switch limit {
    case .size: size.wrappingAdd(1, ordering: .relaxed)
    case .count: count.wrappingAdd(1, ordering: .relaxed)
    }
  }
}
