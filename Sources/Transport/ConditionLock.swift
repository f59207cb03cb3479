import Glibc

/// A pthread mutex with a condition variable, for code that must lock and unlock apart (a
/// closure cannot consume what it captures) or wait for a condition under the lock.
package final class ConditionLock: @unchecked Sendable {
  // @unchecked Sendable: the pthread mutex and condition are the synchronisation.
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

  package init() {
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    condition.deallocate()
    mutex.deallocate()
  }

  @inline(__always)
  package func lock() { pthread_mutex_lock(mutex) }

  @inline(__always)
  package func unlock() { pthread_mutex_unlock(mutex) }

  @inline(__always)
  package func withLock<R>(_ body: () throws -> R) rethrows -> R {
    lock()
    defer { unlock() }
    return try body()
  }

  /// Releases the lock until `broadcast`, then holds it again. Call with the lock held.
  package func wait() { pthread_cond_wait(condition, mutex) }

  /// Wakes every thread in `wait`. Call with the lock held.
  package func broadcast() { pthread_cond_broadcast(condition) }
}
