import Dispatch
import Glibc
import Logging
import Synchronization

/// Where a `TraceViewServer`'s spans go: the pending traces, the JSON lines file and the output
/// of finished trees. All output (trees and JSON lines) happens on one serial queue, so trees
/// never interleave and the gRPC loop never waits on a file or a terminal. Trees printed early
/// wait there for at most `maxPendingSpans` spans (`EarlyOutputBacklog`); past that, while the
/// output is stuck, they are dropped and counted.
final class TraceViewSink: Sendable {
  let queue = DispatchQueue(label: "semantic-router.trace-view.output")
  private let collector: Mutex<TraceCollector>
  private let earlyBacklog: Mutex<EarlyOutputBacklog>
  private let jsonFD = Mutex<Int32>(-1)
  private let output: @Sendable (String) -> Void
  private let logger: Logger
  private let spansReceived = Atomic<UInt64>(0)
  private let tracesPrinted = Atomic<UInt64>(0)
  private let tracesHandedOutEarly = Atomic<UInt64>(0)

  init(
    maxPendingSpans: Int, output: @escaping @Sendable (String) -> Void, logger: Logger
  ) {
    collector = Mutex(TraceCollector(maxPendingSpans: maxPendingSpans))
    earlyBacklog = Mutex(EarlyOutputBacklog(maxSpans: maxPendingSpans))
    self.output = output
    self.logger = logger
  }

  var receivedSpanCount: UInt64 { spansReceived.load(ordering: .relaxed) }
  var printedTraceCount: UInt64 { tracesPrinted.load(ordering: .relaxed) }
  /// Traces printed early that were dropped because the output was behind.
  var droppedTraceCount: UInt64 { earlyBacklog.withLock { $0.droppedTraces } }

  /// Opens (creating or appending to) the JSON lines file.
  func openJSON(path: String) throws(TraceViewError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw TraceViewError.cannotOpenJSONFile(path: path, reason: String(cString: strerror(errno)))
    }
    jsonFD.withLock { $0 = fd }
  }

  /// Closes the JSON file after everything queued was written.
  func closeJSON() {
    queue.sync {
      let fd = jsonFD.withLock { fd in
        defer { fd = -1 }
        return fd
      }
      if fd >= 0 { close(fd) }
    }
  }

  /// Takes spans from an export call (any thread).
  func receive(_ spans: [TraceViewSpan]) {
    guard !spans.isEmpty else { return }
    spansReceived.wrappingAdd(UInt64(spans.count), ordering: .relaxed)
    let early = collector.withLock { $0.add(spans, at: .now) }
    if !early.isEmpty { handOutEarly(early) }
    let hasJSON = jsonFD.withLock { $0 >= 0 }
    guard hasJSON else { return }
    let lines = spans.map { SpanJSONLineEncoder.encode($0) + "\n" }.joined()
    queue.async { self.writeJSON(lines) }
  }

  /// Prints traces before their quiet period, to stay within the pending-span bound; the first
  /// time says so, since a later span of such a trace prints as a tree of its own. Drops them
  /// while the output is `maxPendingSpans` spans behind; the first drop says so too.
  private func handOutEarly(_ traces: [[TraceViewSpan]]) {
    let before = tracesHandedOutEarly.wrappingAdd(
      UInt64(traces.count), ordering: .relaxed
    ).oldValue
    if before == 0 {
      logger.warning(
        "more spans pending than --max-pending-spans: printing the traces quiet longest early")
    }
    let (admitted, firstDrop) = earlyBacklog.withLock { backlog in
      let droppedBefore = backlog.droppedTraces
      let admitted = backlog.admit(traces)
      return (admitted, droppedBefore == 0 && backlog.droppedTraces > 0)
    }
    if firstDrop {
      logger.warning(
        "output --max-pending-spans spans behind: dropping early traces (counted at stop)")
    }
    guard !admitted.isEmpty else { return }
    let spans = admitted.reduce(0) { $0 + $1.count }
    queue.async {
      self.emit(admitted)
      self.earlyBacklog.withLock { $0.output(spans) }
    }
  }

  /// Says how many traces were dropped, if any.
  func reportDropped() {
    let (traces, spans) = earlyBacklog.withLock { ($0.droppedTraces, $0.droppedSpans) }
    guard traces > 0 else { return }
    logger.warning(
      "dropped \(traces) trace(s) (\(spans) spans) due early while the output was behind")
  }

  /// Prints the traces quiet for `quietPeriod`. On `queue` only.
  func emitFinished(quietPeriod: Duration) {
    emit(collector.withLock { $0.takeFinished(quietPeriod: quietPeriod, now: .now) })
  }

  /// Prints every pending trace. On `queue` only.
  func emitAll() {
    emit(collector.withLock { $0.takeAll() })
  }

  private func emit(_ traces: [[TraceViewSpan]]) {
    for trace in traces {
      output(TraceTreeFormatter.format(trace))
      tracesPrinted.wrappingAdd(1, ordering: .relaxed)
    }
  }

  private func writeJSON(_ text: String) {
    let fd = jsonFD.withLock { $0 }
    guard fd >= 0 else { return }
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
      let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      if written < 0 {
        if errno == EINTR { continue }
        logger.error("cannot write JSON spans: \(String(cString: strerror(errno)))")
        return
      }
      bytes = bytes.dropFirst(written)
    }
  }
}
