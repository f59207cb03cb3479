import Dispatch
import Logging
import Synchronization
import Testing

@testable import TraceView

/// The sink's output queue, where trees printed early wait for a terminal or a pipe.
@Suite("Trace view sink output")
struct TraceViewSinkTests {
  /// An output that blocks, as a terminal or a pipe nobody reads does, until `release()`;
  /// counts the trees it was given.
  private final class BlockedOutput: Sendable {
    private let gate = DispatchSemaphore(value: 0)
    private let trees = Mutex(0)

    func write(_ tree: String) {
      gate.wait()
      gate.signal()  // once released, it stays open
      trees.withLock { $0 += 1 }
    }

    func release() { gate.signal() }

    var treeCount: Int { trees.withLock { $0 } }
  }

  /// A sender that never pauses, past the pending bound, while the output is stuck: every
  /// trace printed early used to wait on the output queue, so memory grew with every export
  /// however small the bound.
  @Test func earlyTreesWaitingForAStuckOutput_stayWithinTheSpanBound() {
    let output = BlockedOutput()
    let sink = TraceViewSink(
      maxPendingSpans: 10, output: { output.write($0) }, logger: Logger(label: "test"))
    // One-span traces, one export each: past 10 pending, the two quiet longest go out early.
    for index in 0..<1000 {
      sink.receive([
        TraceViewSpan(
          traceID: String(index), spanID: "1", name: "span", service: "s",
          startTimeUnixNano: UInt64(index), endTimeUnixNano: UInt64(index) + 1)
      ])
    }
    output.release()
    sink.queue.sync { sink.emitAll() }
    // At most 10 spans of early trees waited for the output, and at most 10 were pending;
    // every other trace was dropped, and counted.
    #expect(output.treeCount <= 20)
    #expect(sink.droppedTraceCount == UInt64(1000 - output.treeCount))
  }
}
