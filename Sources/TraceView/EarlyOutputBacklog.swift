/// The spans of traces printed early that wait for the output (a terminal, a pipe), bounded:
/// when the output is slower than the sender, the traces past the bound are dropped and
/// counted instead of queued without end. A value type, tested without threads.
struct EarlyOutputBacklog {
  /// Traces are taken while fewer spans than this wait; a trace taken may pass it (a busy
  /// trace goes out whole), so at most this many plus one trace wait.
  let maxSpans: Int
  private(set) var waitingSpans = 0
  private(set) var droppedTraces: UInt64 = 0
  private(set) var droppedSpans: UInt64 = 0

  init(maxSpans: Int) {
    self.maxSpans = maxSpans
  }

  /// The traces that may wait for the output, in order; the rest are counted as dropped.
  mutating func admit(_ traces: [[TraceViewSpan]]) -> [[TraceViewSpan]] {
    var admitted: [[TraceViewSpan]] = []
    for trace in traces {
      if waitingSpans < maxSpans {
        waitingSpans += trace.count
        admitted.append(trace)
      } else {
        droppedTraces += 1
        droppedSpans += UInt64(trace.count)
      }
    }
    return admitted
  }

  /// `spans` that waited were output.
  mutating func output(_ spans: Int) {
    waitingSpans -= spans
  }
}
