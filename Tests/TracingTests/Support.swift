import Glibc
import Synchronization

@testable import Tracing

/// A clock tests move by hand.
final class ManualClock: TracingClock {
  private let now = Atomic<UInt64>(1_700_000_000_000_000_000)

  func nowUnixNanos() -> UInt64 { now.load(ordering: .relaxed) }

  func advance(nanoseconds: UInt64) { now.wrappingAdd(nanoseconds, ordering: .relaxed) }
}

/// A span processor that keeps every ended span.
final class CollectingProcessor: SpanProcessor {
  private let spans = Mutex<[SpanData]>([])

  var ended: [SpanData] { spans.withLock { $0 } }

  func onEnd(_ span: SpanData) { spans.withLock { $0.append(span) } }
  func forceFlush(timeout: Duration) -> Bool { true }
  func shutdown(timeout: Duration) -> Bool { true }
}

/// An exporter that records batches and can be told to block or fail.
final class RecordingExporter: SpanExporter {
  struct State {
    var batches: [[SpanData]] = []
    var events: [String] = []
  }

  private let state = Mutex(State())
  /// While set, `export` waits until it is cleared.
  let blocked = Atomic<Bool>(false)

  var batches: [[SpanData]] { state.withLock { $0.batches } }
  var events: [String] { state.withLock { $0.events } }
  var exportedNames: [String] { batches.flatMap { $0.map(\.name) } }

  func export(_ batch: [SpanData], deadline: ContinuousClock.Instant) -> SpanExportResult {
    while blocked.load(ordering: .relaxed) { usleepMillis(1) }
    state.withLock {
      $0.batches.append(batch)
      $0.events.append("export(\(batch.count))")
    }
    return .success
  }

  func shutdown() { state.withLock { $0.events.append("shutdown") } }
}

/// A sampled span named `name`, ready for a processor.
func sampledSpan(_ name: String) -> SpanData {
  SpanData(
    name: name, kind: .internal,
    context: SpanContext(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), traceFlags: .sampled),
    startTimeUnixNanos: 1, endTimeUnixNanos: 2)
}

/// Polls `condition` every millisecond for up to `timeout`.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
  let deadline = ContinuousClock.now.advanced(by: timeout)
  while ContinuousClock.now < deadline {
    if condition() { return true }
    usleepMillis(1)
  }
  return condition()
}

func usleepMillis(_ ms: Int) {
  usleep(UInt32(ms * 1000))
}
