import Synchronization

/// Observations counted into fixed buckets, with their sum and count (latencies in seconds).
///
/// One uncontended `Mutex` per histogram keeps a scrape consistent (the buckets always add up
/// to the count); an observation is a short linear search over the bounds plus three additions.
public final class Histogram: Sendable {
  /// Prometheus' default buckets, in seconds: 5 ms to 10 s.
  public static let defaultBuckets: [Double] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
  ]

  /// Upper bounds of the finite buckets, strictly increasing; +Inf is implicit.
  public let upperBounds: [Double]
  private let state: Mutex<HistogramSnapshot>

  /// Creates a histogram with `buckets` as upper bounds (strictly increasing; a trailing +Inf
  /// may be given and is implied anyway).
  public init(buckets: [Double] = Histogram.defaultBuckets) {
    var bounds = buckets
    if bounds.last == .infinity { bounds.removeLast() }
    precondition(!bounds.isEmpty, "a histogram needs at least one finite bucket")
    precondition(bounds.allSatisfy(\.isFinite), "histogram bucket bounds must be finite")
    precondition(
      zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 },
      "histogram bucket bounds must increase strictly")
    upperBounds = bounds
    state = Mutex(
      HistogramSnapshot(
        upperBounds: bounds, bucketCounts: [UInt64](repeating: 0, count: bounds.count + 1),
        sum: 0, count: 0))
  }

  /// `count` bounds starting at `start`, each `factor` times the previous one.
  public static func exponentialBuckets(start: Double, factor: Double, count: Int) -> [Double] {
    precondition(start > 0 && factor > 1 && count > 0, "invalid exponential buckets")
    var bounds: [Double] = []
    var bound = start
    for _ in 0..<count {
      bounds.append(bound)
      bound *= factor
    }
    return bounds
  }

  /// Records one observation; it lands in the first bucket whose bound is >= `value`
  /// (Prometheus' `le`). NaN is ignored.
  public func observe(_ value: Double) {
    guard !value.isNaN else { return }
    let bucket = upperBounds.firstIndex { value <= $0 } ?? upperBounds.count
    state.withLock { state in
      state.bucketCounts[bucket] &+= 1
      state.sum += value
      state.count &+= 1
    }
  }

  /// Records a duration in seconds.
  public func observe(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    observe(Double(seconds) + Double(attoseconds) * 1e-18)
  }

  /// A consistent copy of the counts.
  public func snapshot() -> HistogramSnapshot {
    state.withLock { $0 }
  }
}

extension Histogram: LabelledMetric {
  public static func series(_ children: [(labels: [MetricLabel], metric: Histogram)])
    -> MetricFamilySnapshot.Series
  {
    .histogram(children.map { LabelledSample(labels: $0.labels, value: $0.metric.snapshot()) })
  }
}
