import Synchronization

/// A metric type that can be a child of a labelled family.
public protocol LabelledMetric: AnyObject, Sendable {
  /// The family's samples from its children.
  static func series(_ children: [(labels: [MetricLabel], metric: Self)])
    -> MetricFamilySnapshot.Series
}

/// A metric with labels: one child per distinct combination of label values, made on first use.
///
/// `labels(...)` takes the family's lock for a dictionary lookup; on a hot path, look a child up
/// once and keep it (children live as long as the family).
public final class MetricFamily<Metric: LabelledMetric>: Sendable {
  public let name: String
  public let help: String
  public let labelNames: [String]
  private let makeMetric: @Sendable () -> Metric
  private let children = Mutex<[[String]: Metric]>([:])

  init(
    name: String, help: String, labelNames: [String], makeMetric: @escaping @Sendable () -> Metric
  ) {
    self.name = name
    self.help = help
    self.labelNames = labelNames
    self.makeMetric = makeMetric
  }

  /// The child for these label values, in `labelNames` order.
  public func labels(_ values: String...) -> Metric {
    labels(values)
  }

  /// The child for these label values, in `labelNames` order.
  public func labels(_ values: [String]) -> Metric {
    precondition(
      values.count == labelNames.count,
      "\(name) takes \(labelNames.count) label values, got \(values.count)")
    return children.withLock { children in
      if let child = children[values] { return child }
      let child = makeMetric()
      children[values] = child
      return child
    }
  }

  /// The family's current values, children ordered by label values.
  func snapshot() -> MetricFamilySnapshot {
    let current = children.withLock { $0 }
    let ordered = current.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    let labelNames = self.labelNames
    let series = Metric.series(
      ordered.map { values, metric in
        (labels: zip(labelNames, values).map { MetricLabel($0, $1) }, metric: metric)
      })
    return MetricFamilySnapshot(name: name, help: help, series: series)
  }
}

/// Counters by label values.
public typealias CounterFamily = MetricFamily<Counter>
/// Gauges by label values.
public typealias GaugeFamily = MetricFamily<Gauge>
/// Histograms by label values.
public typealias HistogramFamily = MetricFamily<Histogram>
