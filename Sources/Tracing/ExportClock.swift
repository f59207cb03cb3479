/// The monotonic time the export side of tracing runs on: the batch span processor's schedule
/// and its flush and shutdown timeouts, the OTLP exporters' deadlines and retry backoff.
///
/// Production uses `SystemExportClock`. Tests pass a clock they move by hand, so nothing in them
/// waits for real time to pass. Spans' own timestamps come from `TracingClock`; the request path
/// never reads this clock (only the export thread and callers of flush and shutdown do).
public protocol ExportClock: Sendable {
  /// The current instant.
  var now: ContinuousClock.Instant { get }

  /// Blocks the calling thread until `deadline` has passed or `wakeup` is signalled, whichever
  /// comes first. May also return early (a signal left from before); callers check their state.
  func wait(until deadline: ContinuousClock.Instant, wakingOn wakeup: ExportWakeup)
}

extension ExportClock {
  /// Blocks the calling thread until `deadline` has passed.
  public func sleep(until deadline: ContinuousClock.Instant) {
    wait(until: deadline, wakingOn: ExportWakeup())
  }
}
