import Synchronization

/// A monotonically increasing count (requests, cache hits, spans exported).
///
/// Lock-free: an increment is one relaxed atomic add, safe from any thread. Rendered with the
/// `_total` suffix (see `MetricsRegistry`).
public final class Counter: Sendable {
  @usableFromInline let count = Atomic<UInt64>(0)

  public init() {}

  /// Adds `amount` (1 by default). Wraps at 2^64, which no real counter reaches.
  @inlinable
  public func increment(by amount: UInt64 = 1) {
    count.wrappingAdd(amount, ordering: .relaxed)
  }

  /// The current count.
  public var value: UInt64 { count.load(ordering: .relaxed) }
}

extension Counter: LabelledMetric {
  public static func series(_ children: [(labels: [MetricLabel], metric: Counter)])
    -> MetricFamilySnapshot.Series
  {
    .counter(children.map { LabelledSample(labels: $0.labels, value: Double($0.metric.value)) })
  }
}
