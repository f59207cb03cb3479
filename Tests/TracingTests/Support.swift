import Foundation
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

/// An exporter that records batches and can be told to hold exports until released.
final class RecordingExporter: SpanExporter, @unchecked Sendable {
  // @unchecked: every stored property is read and written with `condition` locked.
  private let condition = NSCondition()
  private var recorded: [[SpanData]] = []
  private var log: [String] = []
  private var isBlocked = false
  private var holding = 0

  var batches: [[SpanData]] { locked { recorded } }
  var events: [String] { locked { log } }
  var exportedNames: [String] { batches.flatMap { $0.map(\.name) } }

  /// Exports from now on wait in `export` until `unblock`.
  func block() { locked { isBlocked = true } }

  func unblock() {
    locked { isBlocked = false }
    condition.broadcast()
  }

  /// Blocks until an export call is held by `block`; false if none is within 30 s of real time
  /// (a safety net against a hung test, not a timing assertion).
  func waitUntilAnExportIsHeld() -> Bool {
    waitUntil { holding > 0 }
  }

  /// Blocks until `count` spans have been exported; false as `waitUntilAnExportIsHeld`.
  func waitUntilExported(spans count: Int) -> Bool {
    waitUntil { recorded.reduce(0) { $0 + $1.count } >= count }
  }

  func export(_ batch: [SpanData], deadline: ContinuousClock.Instant) -> SpanExportResult {
    condition.lock()
    holding += 1
    condition.broadcast()
    while isBlocked { condition.wait() }
    holding -= 1
    recorded.append(batch)
    log.append("export(\(batch.count))")
    condition.broadcast()
    condition.unlock()
    return .success
  }

  func shutdown() { locked { log.append("shutdown") } }

  private func locked<T>(_ body: () -> T) -> T {
    condition.lock()
    defer { condition.unlock() }
    return body()
  }

  private func waitUntil(_ done: () -> Bool) -> Bool {
    let giveUp = Date(timeIntervalSinceNow: 30)
    condition.lock()
    defer { condition.unlock() }
    while !done() {
      guard condition.wait(until: giveUp) else { return done() }
    }
    return true
  }
}

/// A sampled span named `name`, ready for a processor.
func sampledSpan(_ name: String) -> SpanData {
  SpanData(
    name: name, kind: .internal,
    context: SpanContext(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), traceFlags: .sampled),
    startTimeUnixNanos: 1, endTimeUnixNanos: 2)
}
