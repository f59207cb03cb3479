/// The values of one metric family at collection time: what the registry renders, and what a
/// collect-time callback (`MetricsRegistry.registerCollector`) returns.
public struct MetricFamilySnapshot: Sendable, Equatable {
  /// The samples of a family, by metric type.
  public enum Series: Sendable, Equatable {
    case counter([LabelledSample<Double>])
    case gauge([LabelledSample<Double>])
    case histogram([LabelledSample<HistogramSnapshot>])
  }

  /// The metric name. Counters are rendered with `_total` appended when it is missing.
  public var name: String
  /// One line of help text.
  public var help: String
  public var series: Series

  public init(name: String, help: String, series: Series) {
    self.name = name
    self.help = help
    self.series = series
  }

  /// An unlabelled counter.
  public static func counter(_ name: String, help: String, value: Double) -> Self {
    Self(name: name, help: help, series: .counter([LabelledSample(value: value)]))
  }

  /// An unlabelled gauge.
  public static func gauge(_ name: String, help: String, value: Double) -> Self {
    Self(name: name, help: help, series: .gauge([LabelledSample(value: value)]))
  }

  /// An unlabelled histogram.
  public static func histogram(_ name: String, help: String, value: HistogramSnapshot) -> Self {
    Self(name: name, help: help, series: .histogram([LabelledSample(value: value)]))
  }
}

/// One label pair of a sample.
public struct MetricLabel: Sendable, Hashable {
  public var name: String
  public var value: String

  public init(_ name: String, _ value: String) {
    self.name = name
    self.value = value
  }
}

/// A sample value with its labels (in the family's label-name order).
public struct LabelledSample<Value: Sendable & Equatable>: Sendable, Equatable {
  public var labels: [MetricLabel]
  public var value: Value

  public init(labels: [MetricLabel] = [], value: Value) {
    self.labels = labels
    self.value = value
  }
}

/// A histogram's state: per-bucket (not cumulative) counts, one per upper bound and a last one
/// for +Inf, plus the sum and count of all observations.
public struct HistogramSnapshot: Sendable, Equatable {
  public var upperBounds: [Double]
  /// `upperBounds.count + 1` entries; entry `i` counts observations in
  /// (`upperBounds[i-1]`, `upperBounds[i]`], the last one those above every bound.
  public var bucketCounts: [UInt64]
  public var sum: Double
  public var count: UInt64

  public init(upperBounds: [Double], bucketCounts: [UInt64], sum: Double, count: UInt64) {
    precondition(
      bucketCounts.count == upperBounds.count + 1, "one bucket count per bound plus one for +Inf")
    self.upperBounds = upperBounds
    self.bucketCounts = bucketCounts
    self.sum = sum
    self.count = count
  }
}
