import Dispatch
import Testing

@testable import Tracing

/// The processor runs on a `ManualExportClock`: its schedule delay passes only when a test
/// moves the clock, so an export before that was triggered by size, flush or shutdown.
@Suite("batch span processor")
struct BatchSpanProcessorTests {
  /// The spec's default schedule delay, on the manual clock.
  static let delay = Duration.seconds(5)

  @Test func onEnd_whenQueueIsFull_dropsAndCountsWithoutBlocking() throws {
    let exporter = RecordingExporter()
    exporter.block()
    let metrics = TracingMetrics()
    let processor = BatchSpanProcessor(
      exporter: exporter,
      configuration: .init(maxQueueSize: 4, scheduleDelay: Self.delay, maxExportBatchSize: 4),
      metrics: metrics, clock: ManualExportClock())
    // The first 4 fill a batch; the thread takes them and is held in export. Wait for that,
    // then 4 more fill the queue again and the rest are dropped: `onEnd` returns while the
    // export is held, so it never waits for room.
    for i in 0..<4 { processor.onEnd(sampledSpan("a\(i)")) }
    #expect(exporter.waitUntilAnExportIsHeld())
    for i in 0..<10 { processor.onEnd(sampledSpan("b\(i)")) }
    #expect(metrics.snapshot().spansDroppedQueueFull == 6)
    #expect(processor.queuedCountForTesting == 4)
    exporter.unblock()
    #expect(processor.shutdown(timeout: .seconds(5)))
    #expect(exporter.exportedNames == ["a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"])
    #expect(metrics.snapshot().spansExported == 8)
  }

  @Test func fullBatch_isExportedBeforeTheScheduleDelay() {
    let exporter = RecordingExporter()
    let processor = BatchSpanProcessor(
      exporter: exporter,
      configuration: .init(maxQueueSize: 100, scheduleDelay: Self.delay, maxExportBatchSize: 3),
      clock: ManualExportClock())
    for i in 0..<7 { processor.onEnd(sampledSpan("s\(i)")) }
    #expect(exporter.waitUntilExported(spans: 6))
    #expect(exporter.batches.map(\.count) == [3, 3])
    #expect(processor.shutdown(timeout: .seconds(5)))
    #expect(exporter.batches.map(\.count) == [3, 3, 1])
  }

  @Test func scheduleDelay_exportsAPartialBatch_whenItPasses() throws {
    let exporter = RecordingExporter()
    let clock = ManualExportClock()
    let start = clock.now
    let processor = BatchSpanProcessor(
      exporter: exporter,
      configuration: .init(maxQueueSize: 100, scheduleDelay: Self.delay, maxExportBatchSize: 50),
      clock: clock)
    processor.onEnd(sampledSpan("lonely"))
    // The export thread waits for the delay; a partial batch does not wake it.
    #expect(clock.waitForWaiter(until: start.advanced(by: Self.delay)))
    clock.advance(by: Self.delay - .nanoseconds(1))
    #expect(exporter.batches.isEmpty)
    clock.advance(by: .nanoseconds(1))
    #expect(exporter.waitUntilExported(spans: 1))
    #expect(exporter.exportedNames == ["lonely"])
    // The next export is due a whole delay after this one.
    #expect(clock.waitForWaiter(until: clock.now.advanced(by: Self.delay)))
    #expect(processor.shutdown(timeout: .seconds(5)))
  }

  @Test func unsampledSpans_areNotQueued() {
    let exporter = RecordingExporter()
    let processor = BatchSpanProcessor(
      exporter: exporter, configuration: .init(scheduleDelay: Self.delay),
      clock: ManualExportClock())
    var span = sampledSpan("unsampled")
    span.context.traceFlags = []
    processor.onEnd(span)
    #expect(processor.forceFlush(timeout: .seconds(1)))
    #expect(processor.shutdown(timeout: .seconds(5)))
    #expect(exporter.batches.isEmpty)
  }

  @Test func forceFlush_exportsEverythingEndedBeforeIt_andReturnsWhenDone() {
    let exporter = RecordingExporter()
    let processor = BatchSpanProcessor(
      exporter: exporter,
      configuration: .init(maxQueueSize: 100, scheduleDelay: Self.delay, maxExportBatchSize: 2),
      clock: ManualExportClock())
    for i in 0..<5 { processor.onEnd(sampledSpan("s\(i)")) }
    #expect(processor.forceFlush(timeout: .seconds(5)))
    #expect(exporter.exportedNames == ["s0", "s1", "s2", "s3", "s4"])
    // Nothing pending: returns at once, and nothing is exported twice.
    #expect(processor.forceFlush(timeout: .seconds(1)))
    #expect(exporter.exportedNames.count == 5)
    #expect(processor.shutdown(timeout: .seconds(5)))
  }

  @Test func forceFlush_timesOutWhileTheExporterIsStuck() throws {
    let exporter = RecordingExporter()
    exporter.block()
    let clock = ManualExportClock()
    let processor = BatchSpanProcessor(
      exporter: exporter, configuration: .init(scheduleDelay: Self.delay), clock: clock)
    processor.onEnd(sampledSpan("stuck"))
    #expect(Self.resultOnceTimedOut(clock) { processor.forceFlush(timeout: $0) } == false)
    exporter.unblock()
    #expect(processor.shutdown(timeout: .seconds(5)))
    #expect(exporter.exportedNames == ["stuck"])
  }

  @Test func shutdown_stopsIntakeFlushesThenShutsTheExporter() {
    let exporter = RecordingExporter()
    let processor = BatchSpanProcessor(
      exporter: exporter,
      configuration: .init(maxQueueSize: 100, scheduleDelay: Self.delay, maxExportBatchSize: 10),
      clock: ManualExportClock())
    for i in 0..<3 { processor.onEnd(sampledSpan("s\(i)")) }
    #expect(processor.shutdown(timeout: .seconds(5)))
    processor.onEnd(sampledSpan("after"))
    #expect(processor.shutdown(timeout: .seconds(1)))
    #expect(exporter.events == ["export(3)", "shutdown"])
    #expect(exporter.exportedNames == ["s0", "s1", "s2"])
  }

  @Test func shutdown_withAStuckExporter_returnsFalseAfterTheTimeout() throws {
    let exporter = RecordingExporter()
    exporter.block()
    let clock = ManualExportClock()
    let processor = BatchSpanProcessor(
      exporter: exporter, configuration: .init(scheduleDelay: Self.delay), clock: clock)
    processor.onEnd(sampledSpan("stuck"))
    #expect(Self.resultOnceTimedOut(clock) { processor.shutdown(timeout: $0) } == false)
    #expect(exporter.events.last == "shutdown")
    exporter.unblock()
  }

  @Test func endToEnd_tracerSpansReachTheExporterWithMetrics() {
    let exporter = RecordingExporter()
    let metrics = TracingMetrics()
    let processor = BatchSpanProcessor(
      exporter: exporter, configuration: .init(scheduleDelay: Self.delay), metrics: metrics,
      clock: ManualExportClock())
    let tracer = Tracer(processor: processor, metrics: metrics)
    let root = tracer.startSpan("root", kind: .server, parent: nil)
    tracer.startSpan("child", parent: root.context).end()
    root.end()
    #expect(processor.shutdown(timeout: .seconds(5)))
    #expect(exporter.exportedNames == ["child", "root"])
    let snapshot = metrics.snapshot()
    #expect(snapshot.spansStarted == 2)
    #expect(snapshot.spansSampled == 2)
    #expect(snapshot.spansExported == 2)
    #expect(snapshot.exportLatencyCount == 1)
    #expect(snapshot.exportLatencyBuckets.reduce(0, +) == 1)
  }

  /// Runs `call` with a 100 ms timeout on another thread, waits until it waits on `clock` for
  /// that timeout, moves the clock to it and returns what `call` returned (nil if it never
  /// waited or returned).
  static func resultOnceTimedOut(
    _ clock: ManualExportClock, _ call: @escaping @Sendable (Duration) -> Bool
  ) -> Bool? {
    let timeout = Duration.milliseconds(100)
    let deadline = clock.now.advanced(by: timeout)
    let result = ResultBox()
    DispatchQueue.global().async { result.set(call(timeout)) }
    guard clock.waitForWaiter(until: deadline) else { return nil }
    clock.advance(by: timeout)
    return result.wait()
  }
}

/// A Bool handed from a background thread to the test.
private final class ResultBox: @unchecked Sendable {
  // @unchecked: `value` is written before `ready` is signalled and read after it.
  private var value = false
  private let ready = DispatchSemaphore(value: 0)

  func set(_ value: Bool) {
    self.value = value
    ready.signal()
  }

  /// Blocks until `set` (a safety net of 30 s real time gives nil).
  func wait() -> Bool? {
    ready.wait(timeout: .now() + 30) == .success ? value : nil
  }
}
