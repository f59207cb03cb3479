import Dispatch
import Foundation
import Synchronization

/// Queues ended spans and exports them in batches from its own thread.
///
/// [OTel SDK "Batching processor"](https://opentelemetry.io/docs/specs/otel/trace/sdk/#batching-processor).
/// The request path only appends to a bounded array under a mutex: when the queue holds
/// `maxQueueSize` spans the span is dropped and counted, never waited for. The export thread
/// takes the whole queue at once (an O(1) swap) when a batch is full, exporting full batches of
/// `maxExportBatchSize` and holding a remainder back; when `scheduleDelay` passes, on
/// `forceFlush` and on `shutdown` it exports everything. At most `maxQueueSize` spans wait in
/// the queue, besides those the export thread holds. Call `shutdown` to stop the thread.
public final class BatchSpanProcessor: SpanProcessor {
  public let configuration: BatchSpanProcessorConfiguration
  private let exporter: any SpanExporter
  private let metrics: TracingMetrics
  private let state: Mutex<State>
  /// Wakes the export thread early (full batch, flush, shutdown).
  private let wakeup = DispatchSemaphore(value: 0)
  /// Signalled once when the export thread has drained the queue after `shutdown`.
  private let exited = DispatchSemaphore(value: 0)

  private struct State {
    var queue: [SpanData]
    var accepting = true
    var stopping = false
    var threadExited = false
    /// Spans accepted into the queue, ever.
    var enqueued: UInt64 = 0
    /// Spans taken from the queue whose export call has returned.
    var processed: UInt64 = 0
    var flushWaiters: [FlushWaiter] = []
  }

  private struct FlushWaiter {
    /// Done once `processed` reaches this.
    let target: UInt64
    let signal: DispatchSemaphore
  }

  private enum Step {
    /// Take the queue; export every full batch, and the remainder too when `all`.
    case export(all: Bool)
    case idle([FlushWaiter])
    case wait
    case exit([FlushWaiter])
  }

  private enum Enqueue {
    case queued
    case batchReady
    case full
    case closed
  }

  /// Starts the export thread.
  public init(
    exporter: any SpanExporter,
    configuration: BatchSpanProcessorConfiguration = BatchSpanProcessorConfiguration(),
    metrics: TracingMetrics = TracingMetrics()
  ) {
    let configuration = configuration.normalized
    self.configuration = configuration
    self.exporter = exporter
    self.metrics = metrics
    var queue: [SpanData] = []
    queue.reserveCapacity(configuration.maxQueueSize)
    state = Mutex(State(queue: queue))
    let thread = Thread { [self] in run() }
    thread.name = "span-exporter"
    thread.start()
  }

  // MARK: - SpanProcessor

  public func onEnd(_ span: consuming SpanData) {
    guard span.context.isSampled else { return }
    let maxQueueSize = configuration.maxQueueSize
    let maxBatch = configuration.maxExportBatchSize
    // Moved into the queue, not copied (a closure cannot consume a captured parameter).
    var incoming: SpanData? = consume span
    let outcome: Enqueue = state.withLock { s in
      guard s.accepting else { return .closed }
      guard s.queue.count < maxQueueSize else { return .full }
      s.queue.append(incoming.take()!)
      s.enqueued += 1
      return s.queue.count == maxBatch ? .batchReady : .queued
    }
    switch outcome {
    case .full: metrics.spanDropped()
    case .batchReady: wakeup.signal()
    case .queued, .closed: break
    }
  }

  public func forceFlush(timeout: Duration) -> Bool {
    let signal = DispatchSemaphore(value: 0)
    let registered: Bool? = state.withLock { s in
      if s.processed == s.enqueued { return nil }
      if s.threadExited { return false }
      s.flushWaiters.append(FlushWaiter(target: s.enqueued, signal: signal))
      return true
    }
    guard let registered else { return true }
    guard registered else { return false }
    wakeup.signal()
    if signal.wait(timeout: Self.dispatchTime(after: timeout)) == .success { return true }
    state.withLock { s in s.flushWaiters.removeAll { $0.signal === signal } }
    return false
  }

  public func shutdown(timeout: Duration) -> Bool {
    let first = state.withLock { s in
      guard s.accepting else { return false }
      s.accepting = false
      s.stopping = true
      return true
    }
    guard first else { return true }
    wakeup.signal()
    let drained = exited.wait(timeout: Self.dispatchTime(after: timeout)) == .success
    exporter.shutdown()
    return drained
  }

  /// Spans waiting in the queue (not yet taken by the export thread).
  var queuedCountForTesting: Int { state.withLock { $0.queue.count } }

  // MARK: - Export thread

  private func run() {
    // Spans taken from the queue and not yet exported: fewer than a batch between exports.
    var pending: [SpanData] = []
    var incoming: [SpanData] = []
    pending.reserveCapacity(configuration.maxQueueSize)
    incoming.reserveCapacity(configuration.maxQueueSize)
    let maxBatch = configuration.maxExportBatchSize
    var nextExport = ContinuousClock.now.advanced(by: configuration.scheduleDelay)
    while true {
      let now = ContinuousClock.now
      let held = pending.count
      let step: Step = state.withLock { s in
        let forced = s.stopping || !s.flushWaiters.isEmpty || now >= nextExport
        if (forced || s.queue.count + held >= maxBatch) && !(s.queue.isEmpty && held == 0) {
          swap(&s.queue, &incoming)
          return .export(all: forced)
        }
        // Nothing queued or held, and every taken span exported: all waiters are satisfied.
        let waiters = s.flushWaiters
        s.flushWaiters = []
        if s.stopping {
          s.threadExited = true
          return .exit(waiters)
        }
        return forced ? .idle(waiters) : .wait
      }
      switch step {
      case .export(let all):
        if pending.isEmpty {
          swap(&pending, &incoming)
        } else {
          pending.append(contentsOf: incoming)
          incoming.removeAll(keepingCapacity: true)
        }
        exportBatches(&pending, includingPartial: all)
        if all { nextExport = ContinuousClock.now.advanced(by: configuration.scheduleDelay) }
      case .idle(let waiters):
        for waiter in waiters { waiter.signal.signal() }
        nextExport = now.advanced(by: configuration.scheduleDelay)
      case .wait:
        _ = wakeup.wait(timeout: Self.dispatchTime(after: now.duration(to: nextExport)))
      case .exit(let waiters):
        for waiter in waiters { waiter.signal.signal() }
        exited.signal()
        return
      }
    }
  }

  /// Exports `spans` in batches of `maxExportBatchSize`; a last partial batch is exported only
  /// when `includingPartial`, else it stays in `spans` for the next round.
  private func exportBatches(_ spans: inout [SpanData], includingPartial: Bool) {
    let maxBatch = configuration.maxExportBatchSize
    var start = 0
    while start < spans.count {
      let end = min(start + maxBatch, spans.count)
      if end - start < maxBatch && !includingPartial { break }
      let chunk = start == 0 && end == spans.count ? spans : Array(spans[start..<end])
      let began = ContinuousClock.now
      let result = exporter.export(chunk, deadline: began.advanced(by: configuration.exportTimeout))
      metrics.exportFinished(spans: chunk.count, result: result, latency: began.duration(to: .now))
      let count = UInt64(end - start)
      let done: [FlushWaiter] = state.withLock { s in
        s.processed += count
        let processed = s.processed
        let done = s.flushWaiters.filter { $0.target <= processed }
        s.flushWaiters.removeAll { $0.target <= processed }
        return done
      }
      for waiter in done { waiter.signal.signal() }
      start = end
    }
    if start == spans.count {
      spans.removeAll(keepingCapacity: true)
    } else if start > 0 {
      spans.removeSubrange(0..<start)
    }
  }

  private static func dispatchTime(after duration: Duration) -> DispatchTime {
    let (seconds, attoseconds) = duration.components
    guard seconds >= 0, attoseconds >= 0 else { return .now() }
    let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    guard !nanos.overflow, nanos.partialValue < Int64(Int.max / 2) else { return .distantFuture }
    return .now() + .nanoseconds(Int(nanos.partialValue + attoseconds / 1_000_000_000))
  }
}
