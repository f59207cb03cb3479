/// Groups received spans by trace id and decides when a trace is finished: when no span of it
/// has arrived for a quiet period. A value type with the clock passed in, so it is tested
/// without threads or sleeping.
///
/// A span that arrives after its trace was handed out starts a new pending trace (its tree
/// then shows the missing parent).
///
/// The spans held are bounded (`maxPendingSpans`): a sender that never pauses, or keeps one
/// trace busy, would otherwise grow them without end. Past the bound the traces quiet longest
/// are handed out early.
struct TraceCollector {
  /// About 100 MB of spans at a generous 1 KB each; far more than a person reads in trees.
  static let defaultMaxPendingSpans = 100_000

  private struct Pending {
    var spans: [TraceViewSpan]
    var lastReceived: ContinuousClock.Instant
  }

  private var pending: [String: Pending] = [:]
  private var pendingSpanCount = 0
  let maxPendingSpans: Int

  init(maxPendingSpans: Int = TraceCollector.defaultMaxPendingSpans) {
    self.maxPendingSpans = maxPendingSpans
  }

  /// The number of traces not yet handed out.
  var pendingTraceCount: Int { pending.count }

  /// Files `spans` under their trace ids, received at `now`. Returns the traces handed out
  /// early to keep at most `maxPendingSpans` (least recently received first, down to 90% of
  /// it), usually none.
  mutating func add(
    _ spans: [TraceViewSpan], at now: ContinuousClock.Instant
  ) -> [[TraceViewSpan]] {
    for span in spans {
      pending[span.traceID, default: Pending(spans: [], lastReceived: now)].spans.append(span)
      pending[span.traceID]?.lastReceived = now
    }
    pendingSpanCount += spans.count
    guard pendingSpanCount > maxPendingSpans else { return [] }
    // Down to 90%, so a sender that never pauses sorts the pending traces once per tenth of
    // the bound rather than on every call.
    let lowWater = maxPendingSpans - maxPendingSpans / 10
    var remaining = pendingSpanCount
    var early: [String] = []
    for (traceID, trace) in pending.sorted(by: { $0.value.lastReceived < $1.value.lastReceived }) {
      guard remaining > lowWater else { break }
      remaining -= trace.spans.count
      early.append(traceID)
    }
    return take(early)
  }

  /// Removes and returns the traces with no new span for at least `quietPeriod` before `now`,
  /// earliest trace start first.
  mutating func takeFinished(
    quietPeriod: Duration, now: ContinuousClock.Instant
  ) -> [[TraceViewSpan]] {
    let finished = pending.filter { now - $0.value.lastReceived >= quietPeriod }.keys
    return take(Array(finished))
  }

  /// Removes and returns every pending trace, earliest trace start first.
  mutating func takeAll() -> [[TraceViewSpan]] {
    take(Array(pending.keys))
  }

  private mutating func take(_ traceIDs: [String]) -> [[TraceViewSpan]] {
    let traces = traceIDs.compactMap { pending.removeValue(forKey: $0)?.spans }
    pendingSpanCount -= traces.reduce(0) { $0 + $1.count }
    return traces.sorted { a, b in
      let startA = a.lazy.map(\.startTimeUnixNano).min() ?? 0
      let startB = b.lazy.map(\.startTimeUnixNano).min() ?? 0
      return startA != startB ? startA < startB : a[0].traceID < b[0].traceID
    }
  }
}
