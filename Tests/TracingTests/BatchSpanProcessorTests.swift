import Testing

@testable import Tracing

@Suite("batch span processor")
struct BatchSpanProcessorTests {
  /// A delay long enough that only size, flush and shutdown trigger exports.
  static let never = Duration.seconds(3600)

  @Test func onEnd_whenQueueIsFull_dropsAndCountsWithoutBlocking() {
    let exporter = RecordingExporter()
    exporter.blocked.store(true, ordering: .relaxed)
    let metrics = TracingMetrics()
    let processor = BatchSpanProcessor(
      exporter: exporter,
      configuration: .init(maxQueueSize: 4, scheduleDelay: Self.never, maxExportBatchSize: 4),
      metrics: metrics)
    // The first 4 fill a batch; the thread takes them and blocks in export. Wait for that,
    // then 4 more fill the queue again and the rest are dropped.
    for i in 0..<4 { processor.onEnd(sampledSpan("a\(i)")) }
    #expect(eventually { processor.queuedCountForTesting == 0 })
    let began = ContinuousClock.now
    for i in 0..<10 { processor.onEnd(sampledSpan("b\(i)")) }
    #expect(began.duration(to: .now) < .milliseconds(100))
    #expect(metrics.snapshot().spansDroppedQueueFull == 6)
    exporter.blocked.store(false, ordering: .relaxed)
    #expect(processor.shutdown(timeout: .seconds(5)))
    #expect(exporter.exportedNames == ["a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"])
    #expect(metrics.snapshot().spansExported == 8)
  }

  @Test func fullBatch_isExportedBeforeTheScheduleDelay() {
    let exporter = RecordingExporter()
    let processor = BatchSpanProcessor(
      exporter: exporter,
      configuration: .init(maxQueueSize: 100, scheduleDelay: Self.never, maxExportBatchSize: 3))
    for i in 0..<7 { processor.onEnd(sampledSpan("s\(i)")) }
    #expect(eventually { exporter.batches.count == 2 })
    #expect(exporter.batches.map(\.count) == [3, 3])
    #expect(processor.shutdown(timeout: .seconds(5)))
    #expect(exporter.batches.map(\.count) == [3, 3, 1])
  }

  @Test func scheduleDelay_exportsAPartialBatch() {
    let exporter = RecordingExporter()
    let processor = BatchSpanProcessor(
      exporter: exporter,
      configuration: .init(maxQueueSize: 100, scheduleDelay: .milliseconds(50), maxExportBatchSize: 50))
    processor.onEnd(sampledSpan("lonely"))
    #expect(eventually(timeout: .seconds(2)) { exporter.exportedNames == ["lonely"] })
    #expect(processor.shutdown(timeout: .seconds(5)))
  }

  @Test func unsampledSpans_areNotQueued() {
    let exporter = RecordingExporter()
    let processor = BatchSpanProcessor(
      exporter: exporter, configuration: .init(scheduleDelay: Self.never))
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
      configuration: .init(maxQueueSize: 100, scheduleDelay: Self.never, maxExportBatchSize: 2))
    for i in 0..<5 { processor.onEnd(sampledSpan("s\(i)")) }
    #expect(processor.forceFlush(timeout: .seconds(5)))
    #expect(exporter.exportedNames == ["s0", "s1", "s2", "s3", "s4"])
    // Nothing pending: returns at once, and nothing is exported twice.
    #expect(processor.forceFlush(timeout: .seconds(1)))
    #expect(exporter.exportedNames.count == 5)
    #expect(processor.shutdown(timeout: .seconds(5)))
  }

  @Test func forceFlush_timesOutWhileTheExporterIsStuck() {
    let exporter = RecordingExporter()
    exporter.blocked.store(true, ordering: .relaxed)
    let processor = BatchSpanProcessor(
      exporter: exporter, configuration: .init(scheduleDelay: Self.never))
    processor.onEnd(sampledSpan("stuck"))
    #expect(!processor.forceFlush(timeout: .milliseconds(50)))
    exporter.blocked.store(false, ordering: .relaxed)
    #expect(processor.shutdown(timeout: .seconds(5)))
    #expect(exporter.exportedNames == ["stuck"])
  }

  @Test func shutdown_stopsIntakeFlushesThenShutsTheExporter() {
    let exporter = RecordingExporter()
    let processor = BatchSpanProcessor(
      exporter: exporter,
      configuration: .init(maxQueueSize: 100, scheduleDelay: Self.never, maxExportBatchSize: 10))
    for i in 0..<3 { processor.onEnd(sampledSpan("s\(i)")) }
    #expect(processor.shutdown(timeout: .seconds(5)))
    processor.onEnd(sampledSpan("after"))
    #expect(processor.shutdown(timeout: .seconds(1)))
    #expect(exporter.events == ["export(3)", "shutdown"])
    #expect(exporter.exportedNames == ["s0", "s1", "s2"])
  }

  @Test func shutdown_withAStuckExporter_returnsFalseAfterTheTimeout() {
    let exporter = RecordingExporter()
    exporter.blocked.store(true, ordering: .relaxed)
    let processor = BatchSpanProcessor(
      exporter: exporter, configuration: .init(scheduleDelay: Self.never))
    processor.onEnd(sampledSpan("stuck"))
    let began = ContinuousClock.now
    #expect(!processor.shutdown(timeout: .milliseconds(100)))
    #expect(began.duration(to: .now) < .seconds(2))
    #expect(exporter.events.last == "shutdown")
    exporter.blocked.store(false, ordering: .relaxed)
  }

  @Test func endToEnd_tracerSpansReachTheExporterWithMetrics() {
    let exporter = RecordingExporter()
    let metrics = TracingMetrics()
    let processor = BatchSpanProcessor(
      exporter: exporter, configuration: .init(scheduleDelay: Self.never), metrics: metrics)
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
}
