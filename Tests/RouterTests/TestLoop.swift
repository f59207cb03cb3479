import Foundation

/// Tasks the inference pool hands back "to the loop", run by a test on its own thread.
final class TestLoop: @unchecked Sendable {
  // @unchecked Sendable: `tasks` is only touched under `lock`.
  private let lock = NSLock()
  private var tasks: [@Sendable () -> Void] = []
  private let arrived = DispatchSemaphore(value: 0)

  func resume(_ task: @escaping @Sendable () -> Void) {
    lock.withLock { tasks.append(task) }
    arrived.signal()
  }

  /// Waits for a task to arrive, then runs every task that has.
  func runArrived() {
    arrived.wait()
    let ready = lock.withLock {
      defer { tasks = [] }
      return tasks
    }
    for task in ready { task() }
  }
}
