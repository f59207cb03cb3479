import Synchronization

/// A value that goes up and down (open streams, queue depth, a flag such as "ready").
///
/// Lock-free: the `Double` lives as its bit pattern in an atomic; `set` is one store, `add` a
/// compare-and-swap loop.
public final class Gauge: Sendable {
  private let bits = Atomic<UInt64>(0)

  public init() {}

  /// Replaces the value.
  public func set(_ value: Double) {
    bits.store(value.bitPattern, ordering: .relaxed)
  }

  /// Adds `amount` (negative to subtract).
  public func add(_ amount: Double) {
    var current = bits.load(ordering: .relaxed)
    while true {
      let next = (Double(bitPattern: current) + amount).bitPattern
      let (exchanged, original) = bits.weakCompareExchange(
        expected: current, desired: next, ordering: .relaxed)
      if exchanged { return }
      current = original
    }
  }

  /// Adds one.
  public func increment() { add(1) }

  /// Subtracts one.
  public func decrement() { add(-1) }

  /// The current value.
  public var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
}

extension Gauge: LabelledMetric {
  public static func series(_ children: [(labels: [MetricLabel], metric: Gauge)])
    -> MetricFamilySnapshot.Series
  {
    .gauge(children.map { LabelledSample(labels: $0.labels, value: $0.metric.value) })
  }
}
