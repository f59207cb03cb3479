import Glibc

/// A one-shot value that one thread blocks on until another resolves it.
final class GRPCResultWaiter<Value: Sendable>: @unchecked Sendable {
  // @unchecked Sendable: `value` is only read and written with `mutex` held.
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  private var value: Value?

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

  /// Sets the value (the first call wins) and wakes the waiter.
  func resolve(_ newValue: Value) {
    pthread_mutex_lock(mutex)
    if value == nil { value = newValue }
    pthread_cond_broadcast(condition)
    pthread_mutex_unlock(mutex)
  }

  /// Whether `resolve` was called.
  var isResolved: Bool {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return value != nil
  }

  /// Blocks until `resolve` was called; returns the value.
  func wait() -> Value {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    while value == nil {
      pthread_cond_wait(condition, mutex)
    }
    return value!
  }
}
