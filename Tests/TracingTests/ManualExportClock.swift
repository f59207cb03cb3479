import Foundation

@testable import Tracing

/// An export clock whose time moves only when a test calls `advance`: waits end when time
/// reaches their deadline or their wake-up is signalled, and the test can wait for a thread to
/// start waiting.
final class ManualExportClock: ExportClock, @unchecked Sendable {
  // @unchecked: every stored property is read and written with `condition` locked.
  private let condition = NSCondition()
  private var current: ContinuousClock.Instant
  private var waiters: [Waiter] = []
  private var nextWaiterID = 0

  private struct Waiter {
    let id: Int
    let deadline: ContinuousClock.Instant
    let wakeup: ExportWakeup
  }

  /// The clock starts at `start`.
  init(start: ContinuousClock.Instant = .now) {
    current = start
  }

  var now: ContinuousClock.Instant {
    condition.lock()
    defer { condition.unlock() }
    return current
  }

  func wait(until deadline: ContinuousClock.Instant, wakingOn wakeup: ExportWakeup) {
    condition.lock()
    guard deadline > current else {
      condition.unlock()
      return
    }
    let id = nextWaiterID
    nextWaiterID += 1
    waiters.append(Waiter(id: id, deadline: deadline, wakeup: wakeup))
    condition.broadcast()
    condition.unlock()
    wakeup.wait()
    condition.lock()
    waiters.removeAll { $0.id == id }
    condition.broadcast()
    condition.unlock()
  }

  /// Moves time on by `duration`, waking every wait whose deadline it reaches.
  func advance(by duration: Duration) {
    condition.lock()
    current = current.advanced(by: duration)
    let due = waiters.filter { $0.deadline <= current }
    waiters.removeAll { $0.deadline <= current }
    condition.unlock()
    for waiter in due { waiter.wakeup.signal() }
  }

  /// Blocks until some thread waits on this clock until `deadline`; false if none does within
  /// 30 s of real time (a safety net against a hung test, not a timing assertion).
  func waitForWaiter(until deadline: ContinuousClock.Instant) -> Bool {
    waitForWaiter { $0 == deadline }
  }

  /// Blocks until some thread waits on this clock until a deadline `matches` accepts; false as
  /// `waitForWaiter(until:)`.
  func waitForWaiter(where matches: (ContinuousClock.Instant) -> Bool) -> Bool {
    let giveUp = Date(timeIntervalSinceNow: 30)
    condition.lock()
    defer { condition.unlock() }
    while !waiters.contains(where: { matches($0.deadline) }) {
      guard condition.wait(until: giveUp) else { return false }
    }
    return true
  }
}
