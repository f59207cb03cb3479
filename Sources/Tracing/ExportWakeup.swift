import Dispatch

/// Wakes a thread blocked in `ExportClock.wait(until:wakingOn:)` before its deadline.
///
/// Signals are counted (a semaphore): one given before the wait makes that wait return at once.
public final class ExportWakeup: Sendable {
  private let semaphore = DispatchSemaphore(value: 0)

  public init() {}

  /// Wakes the thread waiting on this, or the next one to wait.
  public func signal() {
    semaphore.signal()
  }

  /// Blocks until signalled (clocks whose time moves by hand wait this way).
  public func wait() {
    semaphore.wait()
  }

  /// Blocks until signalled or until `timeout` has passed in real time; true when signalled.
  public func wait(timeout: Duration) -> Bool {
    semaphore.wait(timeout: Self.dispatchTime(after: timeout)) == .success
  }

  private static func dispatchTime(after duration: Duration) -> DispatchTime {
    let (seconds, attoseconds) = duration.components
    guard seconds >= 0, attoseconds >= 0 else { return .now() }
    let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    guard !nanos.overflow, nanos.partialValue < Int64(Int.max / 2) else { return .distantFuture }
    return .now() + .nanoseconds(Int(nanos.partialValue + attoseconds / 1_000_000_000))
  }
}
