import Synchronization

/// Counters for the `/metrics` endpoint: spans started, sampled, exported, dropped, export
/// failures by reason and export latency.
///
/// Request-path counters are relaxed atomics; export-side figures (once per batch) sit in a
/// mutex. Read them with `snapshot()`.
public final class TracingMetrics: Sendable {
  /// Upper bounds (seconds) of the export latency histogram buckets; the last bucket is +Inf.
  public static let latencyBucketBounds: [Double] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30]

  // Started spans are counted as sampled or not, so a span costs one atomic add, not two.
  private let sampled = Atomic<UInt64>(0)
  private let unsampled = Atomic<UInt64>(0)
  private let dropped = Atomic<UInt64>(0)
  private let export = Mutex(ExportFigures())

  private struct ExportFigures {
    var exportedSpans: UInt64 = 0
    var failedSpans: UInt64 = 0
    var rejectedByPartialSuccess: UInt64 = 0
    var failures: [SpanExportFailure.Reason: UInt64] = [:]
    var latencySumSeconds: Double = 0
    var latencyCount: UInt64 = 0
    var latencyBuckets = [UInt64](repeating: 0, count: TracingMetrics.latencyBucketBounds.count + 1)
  }

  public init() {}

  /// One started span the sampler recorded.
  @inline(__always) func sampledSpanStarted() { sampled.wrappingAdd(1, ordering: .relaxed) }
  /// One started span the sampler dropped.
  @inline(__always) func unsampledSpanStarted() { unsampled.wrappingAdd(1, ordering: .relaxed) }
  @inline(__always) func spanDropped() { dropped.wrappingAdd(1, ordering: .relaxed) }

  /// Records one export call of `spans` spans that took `latency`.
  func exportFinished(spans: Int, result: SpanExportResult, latency: Duration) {
    let seconds =
      Double(latency.components.seconds) + Double(latency.components.attoseconds) * 1e-18
    export.withLock { figures in
      switch result {
      case .success: figures.exportedSpans += UInt64(spans)
      case .failure(let failure):
        figures.failedSpans += UInt64(spans)
        figures.failures[failure.reason, default: 0] += 1
      }
      figures.latencySumSeconds += seconds
      figures.latencyCount += 1
      let bucket =
        Self.latencyBucketBounds.firstIndex { seconds <= $0 } ?? Self.latencyBucketBounds.count
      figures.latencyBuckets[bucket] += 1
    }
  }

  /// Records spans a collector rejected in a partial success.
  public func partialSuccessRejected(_ count: Int) {
    export.withLock { $0.rejectedByPartialSuccess += UInt64(count) }
  }

  /// The current figures.
  public func snapshot() -> TracingMetricsSnapshot {
    export.withLock { figures in
      let sampledSpans = sampled.load(ordering: .relaxed)
      return TracingMetricsSnapshot(
        spansStarted: sampledSpans &+ unsampled.load(ordering: .relaxed),
        spansSampled: sampledSpans,
        spansDroppedQueueFull: dropped.load(ordering: .relaxed),
        spansExported: figures.exportedSpans,
        spansFailedExport: figures.failedSpans,
        spansRejectedByCollector: figures.rejectedByPartialSuccess,
        exportFailures: figures.failures,
        exportLatencySumSeconds: figures.latencySumSeconds,
        exportLatencyCount: figures.latencyCount,
        exportLatencyBuckets: figures.latencyBuckets)
    }
  }
}

/// A point-in-time copy of `TracingMetrics`.
public struct TracingMetricsSnapshot: Sendable, Hashable {
  /// Spans started, sampled or not.
  public var spansStarted: UInt64
  /// Spans recorded (the sampler said `recordAndSample`).
  public var spansSampled: UInt64
  /// Ended spans dropped because the export queue was full.
  public var spansDroppedQueueFull: UInt64
  /// Spans in successful exports.
  public var spansExported: UInt64
  /// Spans in failed exports.
  public var spansFailedExport: UInt64
  /// Spans the collector reported as rejected in a partial success.
  public var spansRejectedByCollector: UInt64
  /// Failed export calls by reason.
  public var exportFailures: [SpanExportFailure.Reason: UInt64]
  /// Export call latency: sum, count and cumulative-free bucket counts (one per
  /// `TracingMetrics.latencyBucketBounds` entry, then +Inf).
  public var exportLatencySumSeconds: Double
  public var exportLatencyCount: UInt64
  public var exportLatencyBuckets: [UInt64]
}
