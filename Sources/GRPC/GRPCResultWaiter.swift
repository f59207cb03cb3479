import Transport

/// A one-shot value that one thread blocks on until another resolves it.
final class GRPCResultWaiter<Value: Sendable>: @unchecked Sendable {
  // @unchecked Sendable: `value` is only read and written with `lock` held.
  private let lock = ConditionLock()
  private var value: Value?

  /// Sets the value (the first call wins) and wakes the waiter.
  func resolve(_ newValue: Value) {
    lock.withLock {
      if value == nil { value = newValue }
      lock.broadcast()
    }
  }

  /// Whether `resolve` was called.
  var isResolved: Bool {
    lock.withLock { value != nil }
  }

  /// Blocks until `resolve` was called; returns the value.
  func wait() -> Value {
    lock.withLock {
      while value == nil { lock.wait() }
      return value!
    }
  }
}
