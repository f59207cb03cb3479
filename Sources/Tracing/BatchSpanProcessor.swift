import Dispatch
import Foundation
import Synchronization

/// Queues ended spans and exports them in batches from its own thread.
///
/// [OTel SDK "Batching processor"](https://opentelemetry.io/docs/specs/otel/trace/sdk/#batching-processor).
/// The request path only appends to a bounded array under a mutex: when the queue holds
/// `maxQueueSize` spans the span is dropped and counted, never waited for. The export thread
/// takes the whole queue at once (an O(1) swap), exports it in batches of `maxExportBatchSize`,
/// and runs when a batch is full, when `scheduleDelay` passes, on `forceFlush` and on
/// `shutdown`. At most `maxQueueSize` spans wait plus those being exported. Call `shutdown` to
/// stop the thread.
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
    case export
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

  public func onEnd(_ span: SpanData) {
    guard span.context.isSampled else { return }
    let maxQueueSize = configuration.maxQueueSize
    let maxBatch = configuration.maxExportBatchSize
    let outcome: Enqueue = state.withLock { s in
      guard s.accepting else { return .closed }
      guard s.queue.count < maxQueueSize else { return .full }
      s.queue.append(span)
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

  // MARK: - Export thread

  private func run() {
    var batch: [SpanData] = []
    batch.reserveCapacity(configuration.maxQueueSize)
    let maxBatch = configuration.maxExportBatchSize
    var nextExport = ContinuousClock.now.advanced(by: configuration.scheduleDelay)
    while true {
      let now = ContinuousClock.now
      let step: Step = state.withLock { s in
        let due =
          s.stopping || !s.flushWaiters.isEmpty || s.queue.count >= maxBatch || now >= nextExport
        if due, !s.queue.isEmpty {
          swap(&s.queue, &batch)
          return .export
        }
        // Nothing queued and every taken span exported: all waiters are satisfied.
        let waiters = s.flushWaiters
        s.flushWaiters = []
        if s.stopping {
          s.threadExited = true
          return .exit(waiters)
        }
        return due ? .idle(waiters) : .wait
      }
      switch step {
      case .export:
        exportInBatches(&batch)
        nextExport = ContinuousClock.now.advanced(by: configuration.scheduleDelay)
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

  /// Exports `batch` in slices of `maxExportBatchSize`, then empties it (keeping capacity).
  private func exportInBatches(_ batch: inout [SpanData]) {
    let maxBatch = configuration.maxExportBatchSize
    var start = 0
    while start < batch.count {
      let end = min(start + maxBatch, batch.count)
      let chunk = start == 0 && end == batch.count ? batch : Array(batch[start..<end])
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
    batch.removeAll(keepingCapacity: true)
  }

  private static func dispatchTime(after duration: Duration) -> DispatchTime {
    let (seconds, attoseconds) = duration.components
    guard seconds >= 0, attoseconds >= 0 else { return .now() }
    let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    guard !nanos.overflow, nanos.partialValue < Int64(Int.max / 2) else { return .distantFuture }
    return .now() + .nanoseconds(Int(nanos.partialValue + attoseconds / 1_000_000_000))
  }
}
