#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A mutex with separate `lock` and `unlock`, for the batch span processor's queue.
///
/// `Synchronization.Mutex` only offers `withLock(_:)`, and a closure cannot consume a span it
/// captured: queueing through it moved every span twice more (through an `Optional`). With a
/// plain lock, `onEnd` appends the span it was given straight into the queue.
final class SpanQueueLock: @unchecked Sendable {
  // @unchecked Sendable: the pthread mutex is the synchronisation.
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

  init() {
    pthread_mutex_init(mutex, nil)
  }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  @inline(__always)
  func lock() { pthread_mutex_lock(mutex) }

  @inline(__always)
  func unlock() { pthread_mutex_unlock(mutex) }

  @inline(__always)
  func withLock<R>(_ body: () throws -> R) rethrows -> R {
    lock()
    defer { unlock() }
    return try body()
  }
}
