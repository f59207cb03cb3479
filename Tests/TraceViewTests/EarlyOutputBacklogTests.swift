import Testing

@testable import TraceView

@Suite("Early output backlog")
struct EarlyOutputBacklogTests {
  private func trace(_ id: String, spans: Int) -> [TraceViewSpan] {
    (0..<spans).map {
      TraceViewSpan(
        traceID: id, spanID: String($0), name: "span", service: "s",
        startTimeUnixNano: UInt64($0), endTimeUnixNano: UInt64($0) + 1)
    }
  }

  @Test func tracesAreTakenWhileFewerSpansWait_theRestAreDroppedAndCounted() {
    var backlog = EarlyOutputBacklog(maxSpans: 4)
    let admitted = backlog.admit([trace("a", spans: 3), trace("b", spans: 2), trace("c", spans: 1)])
    // "b" is taken with 3 spans waiting, below 4; then 5 wait and "c" is dropped.
    #expect(admitted.map { $0[0].traceID } == ["a", "b"])
    #expect(backlog.waitingSpans == 5)
    #expect(backlog.droppedTraces == 1 && backlog.droppedSpans == 1)
    backlog.output(5)
    #expect(backlog.admit([trace("d", spans: 1)]).count == 1)
    #expect(backlog.droppedTraces == 1)
  }

  @Test func aTraceLargerThanTheBound_isTakenWholeWhenNothingWaits() {
    var backlog = EarlyOutputBacklog(maxSpans: 2)
    #expect(backlog.admit([trace("busy", spans: 10)]).map(\.count) == [10])
    #expect(backlog.admit([trace("next", spans: 1)]).isEmpty)
    #expect(backlog.droppedTraces == 1 && backlog.droppedSpans == 1)
  }
}
