import Transport

/// The callers of a caller-driven `GRPCUnaryClient` taking turns at running its loop.
///
/// One caller drives the loop; the others wait, each until its own answer is in (the driver's
/// loop completes every caller's call) or until the turn is free. So a call never waits for
/// another caller's slower call once its own answer or deadline has come.
final class GRPCLoopTurns: Sendable {
  private let lock = ConditionLock()
  /// Whether a caller runs the loop; only read and written with `lock` held.
  nonisolated(unsafe) private var driving = false

  /// Returns once `isDone()` holds: runs `loop` on this thread while no other caller does,
  /// waits otherwise. `isDone` must turn true only together with a `wake()`.
  func drive(_ loop: EventLoop, until isDone: () -> Bool) {
    lock.lock()
    defer { lock.unlock() }
    while !isDone() {
      if driving {
        lock.wait()
        continue
      }
      driving = true
      lock.unlock()
      loop.run(until: isDone)
      lock.lock()
      driving = false
      lock.broadcast()
    }
  }

  /// Wakes the waiting callers to look again (one of their answers came in).
  func wake() {
    lock.withLock { lock.broadcast() }
  }
}
