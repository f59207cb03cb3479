import Foundation
import Transport

/// Queues ended spans and exports them in batches from its own thread.
///
/// [OTel SDK "Batching processor"](https://opentelemetry.io/docs/specs/otel/trace/sdk/#batching-processor).
/// The request path only appends to a bounded array under a mutex: when the queue holds
/// `maxQueueSize` spans the span is dropped and counted, never waited for. Spans are queued in
/// arrays of `maxExportBatchSize`: a filled one joins the full batches and wakes the export
/// thread, which takes the full batches (moving arrays, never copying spans) and exports each
/// as it is; when `scheduleDelay` passes, on `forceFlush` and on `shutdown` it takes the
/// partly filled batch too. Exported arrays go back, emptied with their capacity kept, so a
/// steady stream of spans allocates no queue storage; their spans' attribute storages go back to
/// `SpanAttributeStoragePool`. Call `shutdown` to stop the thread. The schedule and the flush
/// and shutdown timeouts run on an `ExportClock` (tests move one by hand); `onEnd` never reads it.
public final class BatchSpanProcessor: SpanProcessor {
  public let configuration: BatchSpanProcessorConfiguration
  private let exporter: any SpanExporter
  private let metrics: TracingMetrics
  private let clock: any ExportClock
  // A lock taken and released apart, so `onEnd` appends the span it is given straight into the
  // queue (through `Mutex.withLock` a closure would have to move it through an optional).
  private let lock = ConditionLock()
  /// Read and written only with `lock` held: that is its synchronisation and its exclusivity.
  @exclusivity(unchecked) nonisolated(unsafe) private var state: State
  /// Wakes the export thread early (full batch, flush, shutdown).
  private let wakeup = ExportWakeup()
  /// Signalled once when the export thread has drained the queue after `shutdown`.
  private let exited = ExportWakeup()

  private struct State {
    /// The batch being filled, fewer than `maxExportBatchSize` spans.
    var filling: [SpanData]
    /// Batches of exactly `maxExportBatchSize` spans, oldest first.
    var full: [[SpanData]] = []
    /// Empty arrays with a batch's capacity, handed back by the export thread.
    var spare: [[SpanData]] = []
    /// Spans in `filling` and `full`.
    var queued = 0
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
    let signal: ExportWakeup
  }

  private enum Step {
    /// Export the batches taken; `all`: a scheduled or forced export (the partly filled batch
    /// was taken too).
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
    metrics: TracingMetrics = TracingMetrics(),
    clock: any ExportClock = SystemExportClock()
  ) {
    let configuration = configuration.normalized
    self.configuration = configuration
    self.exporter = exporter
    self.metrics = metrics
    self.clock = clock
    state = State(filling: Self.emptyBatch(capacity: configuration.maxExportBatchSize))
    let thread = Thread { [self] in run() }
    thread.name = "span-exporter"
    thread.start()
  }

  // MARK: - SpanProcessor

  public func onEnd(_ span: consuming SpanData) {
    guard span.context.isSampled else { return }
    let maxQueueSize = configuration.maxQueueSize
    let maxBatch = configuration.maxExportBatchSize
    let outcome: Enqueue
    lock.lock()
    if !state.accepting {
      outcome = .closed
    } else if state.queued >= maxQueueSize {
      outcome = .full
    } else {
      state.filling.append(span)
      state.queued += 1
      state.enqueued += 1
      if state.filling.count == maxBatch {
        var next = state.spare.popLast() ?? Self.emptyBatch(capacity: maxBatch)
        swap(&next, &state.filling)
        state.full.append(next)
        outcome = .batchReady
      } else {
        outcome = .queued
      }
    }
    lock.unlock()
    switch outcome {
    case .full: metrics.spanDropped()
    case .batchReady: wakeup.signal()
    case .queued, .closed: break
    }
  }

  public func forceFlush(timeout: Duration) -> Bool {
    let deadline = clock.now.advanced(by: timeout)
    let signal = ExportWakeup()
    let registered: Bool? = lock.withLock {
      if state.processed == state.enqueued { return nil }
      if state.threadExited { return false }
      state.flushWaiters.append(FlushWaiter(target: state.enqueued, signal: signal))
      return true
    }
    guard let registered else { return true }
    guard registered else { return false }
    wakeup.signal()
    clock.wait(until: deadline, wakingOn: signal)
    // The export thread takes a waiter off the list when its spans are exported.
    return lock.withLock {
      let pending = state.flushWaiters.contains { $0.signal === signal }
      state.flushWaiters.removeAll { $0.signal === signal }
      return !pending
    }
  }

  public func shutdown(timeout: Duration) -> Bool {
    let deadline = clock.now.advanced(by: timeout)
    let first = lock.withLock {
      guard state.accepting else { return false }
      state.accepting = false
      state.stopping = true
      return true
    }
    guard first else { return true }
    wakeup.signal()
    clock.wait(until: deadline, wakingOn: exited)
    let drained = lock.withLock { state.threadExited }
    exporter.shutdown()
    return drained
  }

  /// Spans waiting in the queue (not yet taken by the export thread).
  var queuedCountForTesting: Int { lock.withLock { state.queued } }

  // MARK: - Export thread

  private func run() {
    let maxBatch = configuration.maxExportBatchSize
    var nextExport = clock.now.advanced(by: configuration.scheduleDelay)
    // Batches taken from the state, oldest first; moved, so each array stays uniquely owned
    // and can be emptied in place and reused.
    var taken: [[SpanData]] = []
    while true {
      let now = clock.now
      let step: Step = lock.withLock {
        let forced = state.stopping || !state.flushWaiters.isEmpty || now >= nextExport
        if !state.full.isEmpty || (forced && !state.filling.isEmpty) {
          swap(&taken, &state.full)
          if forced && !state.filling.isEmpty {
            var next = state.spare.popLast() ?? Self.emptyBatch(capacity: maxBatch)
            swap(&next, &state.filling)
            taken.append(next)
          }
          state.queued = state.filling.count
          return .export(all: forced)
        }
        // Nothing queued but a partial batch, and every taken span exported (exports finish
        // before the next step): when forced, all waiters are satisfied.
        guard forced else { return .wait }
        let waiters = state.flushWaiters
        state.flushWaiters = []
        if state.stopping {
          state.threadExited = true
          return .exit(waiters)
        }
        return .idle(waiters)
      }
      switch step {
      case .export(let all):
        for i in taken.indices {
          var batch: [SpanData] = []
          swap(&batch, &taken[i])
          export(batch)
        }
        taken.removeAll(keepingCapacity: true)
        if all { nextExport = clock.now.advanced(by: configuration.scheduleDelay) }
      case .idle(let waiters):
        for waiter in waiters { waiter.signal.signal() }
        nextExport = now.advanced(by: configuration.scheduleDelay)
      case .wait:
        clock.wait(until: nextExport, wakingOn: wakeup)
      case .exit(let waiters):
        for waiter in waiters { waiter.signal.signal() }
        exited.signal()
        return
      }
    }
  }

  /// Exports one batch, counts it as processed (signalling the flushes it completes) and hands
  /// its emptied array back for reuse.
  private func export(_ batch: consuming [SpanData]) {
    let count = batch.count
    let began = clock.now
    let result = exporter.export(batch, deadline: began.advanced(by: configuration.exportTimeout))
    metrics.exportFinished(spans: count, result: result, latency: began.duration(to: clock.now))
    SpanAttributeStoragePool.shared.recycle(&batch)
    // Freed here, outside the lock.
    batch.removeAll(keepingCapacity: true)
    var emptied: [SpanData]? = consume batch
    let done: [FlushWaiter] = lock.withLock {
      state.processed += UInt64(count)
      if let array = emptied.take(), array.capacity >= configuration.maxExportBatchSize {
        state.spare.append(array)
      }
      let processed = state.processed
      let done = state.flushWaiters.filter { $0.target <= processed }
      state.flushWaiters.removeAll { $0.target <= processed }
      return done
    }
    for waiter in done { waiter.signal.signal() }
  }

  /// An empty array with room for one batch.
  private static func emptyBatch(capacity: Int) -> [SpanData] {
    var batch: [SpanData] = []
    batch.reserveCapacity(capacity)
    return batch
  }
}
