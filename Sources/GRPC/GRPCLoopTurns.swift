import Glibc
import Transport

/// The callers of a caller-driven `GRPCUnaryClient` taking turns at running its loop.
///
/// One caller drives the loop; the others wait, each until its own answer is in (the driver's
/// loop completes every caller's call) or until the turn is free. So a call never waits for
/// another caller's slower call once its own answer or deadline has come.
final class GRPCLoopTurns: @unchecked Sendable {
  // @unchecked Sendable: `driving` is only read and written with `mutex` held.
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  private var driving = false

  init() {
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    condition.deallocate()
    mutex.deallocate()
  }

  /// Returns once `isDone()` holds: runs `loop` on this thread while no other caller does,
  /// waits otherwise. `isDone` must turn true only together with a `wake()`.
  func drive(_ loop: EventLoop, until isDone: () -> Bool) {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    while !isDone() {
      if driving {
        pthread_cond_wait(condition, mutex)
        continue
      }
      driving = true
      pthread_mutex_unlock(mutex)
      loop.run(until: isDone)
      pthread_mutex_lock(mutex)
      driving = false
      pthread_cond_broadcast(condition)
    }
  }

  /// Wakes the waiting callers to look again (one of their answers came in).
  func wake() {
    pthread_mutex_lock(mutex)
    pthread_cond_broadcast(condition)
    pthread_mutex_unlock(mutex)
  }
}
