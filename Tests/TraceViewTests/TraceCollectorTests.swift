import Testing

@testable import TraceView

@Suite("Trace collector quiet period")
struct TraceCollectorTests {
  private func span(_ trace: String, _ id: String, start: UInt64) -> TraceViewSpan {
    TraceViewSpan(
      traceID: trace, spanID: id, name: id, service: "s", startTimeUnixNano: start,
      endTimeUnixNano: start + 1)
  }

  @Test func trace_isFinishedOnlyAfterAQuietPeriodWithoutNewSpans() {
    var collector = TraceCollector()
    let t0 = ContinuousClock.now
    _ = collector.add([span("a", "1", start: 10)], at: t0)
    _ = collector.add([span("a", "2", start: 11)], at: t0 + .seconds(1.5))
    #expect(collector.takeFinished(quietPeriod: .seconds(2), now: t0 + .seconds(3)).isEmpty)
    let finished = collector.takeFinished(quietPeriod: .seconds(2), now: t0 + .seconds(3.5))
    #expect(finished.map { $0.map(\.spanID) } == [["1", "2"]])
    #expect(collector.pendingTraceCount == 0)
  }

  @Test func finishedTraces_comeOutEarliestStartFirst_andOthersStayPending() {
    var collector = TraceCollector()
    let t0 = ContinuousClock.now
    _ = collector.add([span("late", "1", start: 500), span("early", "2", start: 100)], at: t0)
    _ = collector.add([span("busy", "3", start: 50)], at: t0 + .seconds(2))
    let finished = collector.takeFinished(quietPeriod: .seconds(1), now: t0 + .seconds(2.5))
    #expect(finished.map { $0[0].traceID } == ["early", "late"])
    #expect(collector.takeAll().map { $0[0].traceID } == ["busy"])
  }

  @Test func spanArrivingAfterItsTraceWasTaken_startsANewPendingTrace() {
    var collector = TraceCollector()
    let t0 = ContinuousClock.now
    _ = collector.add([span("a", "1", start: 1)], at: t0)
    #expect(collector.takeAll().count == 1)
    _ = collector.add([span("a", "2", start: 2)], at: t0 + .seconds(5))
    #expect(collector.takeAll().map { $0.map(\.spanID) } == [["2"]])
  }

  @Test func pastTheSpanBound_theTracesQuietLongestAreHandedOutEarly() {
    var collector = TraceCollector(maxPendingSpans: 4)
    let t0 = ContinuousClock.now
    #expect(collector.add([span("old", "1", start: 1), span("old", "2", start: 2)], at: t0).isEmpty)
    #expect(collector.add([span("mid", "3", start: 3)], at: t0 + .seconds(0.1)).isEmpty)
    #expect(collector.add([span("new", "4", start: 4)], at: t0 + .seconds(0.2)).isEmpty)
    let early = collector.add([span("new", "5", start: 5)], at: t0 + .seconds(0.3))
    #expect(early.map { $0.map(\.spanID) } == [["1", "2"]])
    #expect(collector.pendingTraceCount == 2)
    // One busy trace past the bound goes out whole; its later spans start a new trace.
    var busy = TraceCollector(maxPendingSpans: 2)
    _ = busy.add([span("b", "1", start: 1), span("b", "2", start: 2)], at: t0)
    #expect(busy.add([span("b", "3", start: 3)], at: t0).map(\.count) == [3])
    #expect(busy.pendingTraceCount == 0)
    _ = busy.add([span("b", "4", start: 4)], at: t0)
    #expect(busy.takeAll().map { $0.map(\.spanID) } == [["4"]])
  }
}
