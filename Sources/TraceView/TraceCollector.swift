/// Groups received spans by trace id and decides when a trace is finished: when no span of it
/// has arrived for a quiet period. A value type with the clock passed in, so it is tested
/// without threads or sleeping.
///
/// A span that arrives after its trace was handed out starts a new pending trace (its tree
/// then shows the missing parent).
struct TraceCollector {
  private struct Pending {
    var spans: [TraceViewSpan]
    var lastReceived: ContinuousClock.Instant
  }

  private var pending: [String: Pending] = [:]

  /// The number of traces not yet handed out.
  var pendingTraceCount: Int { pending.count }

  /// Files `spans` under their trace ids, received at `now`.
  mutating func add(_ spans: [TraceViewSpan], at now: ContinuousClock.Instant) {
    for span in spans {
      pending[span.traceID, default: Pending(spans: [], lastReceived: now)].spans.append(span)
      pending[span.traceID]?.lastReceived = now
    }
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
    return traces.sorted { a, b in
      let startA = a.lazy.map(\.startTimeUnixNano).min() ?? 0
      let startB = b.lazy.map(\.startTimeUnixNano).min() ?? 0
      return startA != startB ? startA < startB : a[0].traceID < b[0].traceID
    }
  }
}
