import Synchronization

/// The set of metrics one process exposes on `/metrics`, rendered in the Prometheus text format.
///
/// Register metrics once at start-up and keep the returned objects: updating them never touches
/// the registry. Collect-time callbacks (`registerCollector`) report figures kept elsewhere
/// (e.g. the tracing pipeline's counters) when a scrape happens. Families render in
/// registration order.
public final class MetricsRegistry: Sendable {
  private struct State {
    var sources: [@Sendable () -> [MetricFamilySnapshot]] = []
    var names: Set<String> = []
  }

  private let state = Mutex(State())

  public init() {}

  // MARK: - Counters

  /// Registers an unlabelled counter. `name` gets `_total` appended when it lacks it.
  public func counter(_ name: String, help: String) -> Counter {
    counter(name, help: help, labelNames: []).labels([])
  }

  /// Registers a counter family with labels (e.g. `["category", "model", "outcome"]`).
  public func counter(_ name: String, help: String, labelNames: [String]) -> CounterFamily {
    let fullName = name.hasSuffix("_total") ? name : name + "_total"
    return register(MetricFamily(name: fullName, help: help, labelNames: labelNames) { Counter() })
  }

  // MARK: - Gauges

  /// Registers an unlabelled gauge.
  public func gauge(_ name: String, help: String) -> Gauge {
    gauge(name, help: help, labelNames: []).labels([])
  }

  /// Registers a gauge family with labels.
  public func gauge(_ name: String, help: String, labelNames: [String]) -> GaugeFamily {
    register(MetricFamily(name: name, help: help, labelNames: labelNames) { Gauge() })
  }

  // MARK: - Histograms

  /// Registers an unlabelled histogram; durations should be in seconds with a `_seconds` name.
  public func histogram(
    _ name: String, help: String, buckets: [Double] = Histogram.defaultBuckets
  ) -> Histogram {
    histogram(name, help: help, labelNames: [], buckets: buckets).labels([])
  }

  /// Registers a histogram family with labels (`le` is reserved for the buckets).
  public func histogram(
    _ name: String, help: String, labelNames: [String],
    buckets: [Double] = Histogram.defaultBuckets
  ) -> HistogramFamily {
    precondition(!labelNames.contains("le"), "\(name): the label name le is reserved")
    _ = Histogram(buckets: buckets)  // validates the bounds now rather than on first use
    return register(
      MetricFamily(name: name, help: help, labelNames: labelNames) { Histogram(buckets: buckets) })
  }

  // MARK: - Collect-time metrics

  /// Adds a callback run on every collection (scrape) that returns current values kept
  /// elsewhere. It runs on the scraping thread without the registry's lock held, so it may take
  /// its own locks; it should be quick.
  public func registerCollector(_ collect: @escaping @Sendable () -> [MetricFamilySnapshot]) {
    state.withLock { $0.sources.append(collect) }
  }

  // MARK: - Collection

  /// The current value of every registered metric, in registration order. Families without any
  /// sample (a labelled family nobody used yet) are left out.
  public func collect() -> [MetricFamilySnapshot] {
    let sources = state.withLock { $0.sources }
    return sources.flatMap { $0() }.filter { !$0.series.isEmpty }
  }

  /// Everything in the Prometheus text exposition format (serve it with
  /// `PrometheusTextFormat.contentType`).
  public func renderPrometheusText() -> String {
    PrometheusTextFormat.render(collect())
  }

  private func register<Metric>(_ family: MetricFamily<Metric>) -> MetricFamily<Metric> {
    precondition(MetricName.isValidMetricName(family.name), "invalid metric name \(family.name)")
    for label in family.labelNames {
      precondition(MetricName.isValidLabelName(label), "\(family.name): invalid label \(label)")
    }
    precondition(Set(family.labelNames).count == family.labelNames.count, "duplicate label names")
    state.withLock { state in
      precondition(state.names.insert(family.name).inserted, "\(family.name) registered twice")
      state.sources.append { [family.snapshot()] }
    }
    return family
  }
}

extension MetricFamilySnapshot.Series {
  var isEmpty: Bool {
    switch self {
    case .counter(let samples), .gauge(let samples): samples.isEmpty
    case .histogram(let samples): samples.isEmpty
    }
  }
}
