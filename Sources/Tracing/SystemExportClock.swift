/// The real monotonic clock (`ContinuousClock`): waits block the thread on the wake-up's
/// semaphore with a timeout.
public struct SystemExportClock: ExportClock {
  public init() {}

  public var now: ContinuousClock.Instant { .now }

  public func wait(until deadline: ContinuousClock.Instant, wakingOn wakeup: ExportWakeup) {
    _ = wakeup.wait(timeout: ContinuousClock.now.duration(to: deadline))
  }
}
