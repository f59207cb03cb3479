import Glibc
import Synchronization

/// A fixed set of event loops, each running on its own thread.
public final class EventLoopGroup: Sendable {
  /// The loops, in index order.
  public let loops: [EventLoop]
  private let threads: Mutex<[pthread_t]?>
  private let roundRobin = Atomic<Int>(0)

  /// The number of online processors, the default number of loops.
  public static var processorCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

  /// Creates `count` loops and starts one thread for each.
  public init(count: Int = EventLoopGroup.processorCount) throws {
    precondition(count > 0, "an event loop group needs at least one loop")
    var loops: [EventLoop] = []
    for index in 0..<count {
      loops.append(try EventLoop(index: index))
    }
    self.loops = loops
    var threads: [pthread_t] = []
    for loop in loops {
      var thread = pthread_t()
      let context = Unmanaged.passRetained(loop).toOpaque()
      let result = pthread_create(
        &thread, nil,
        { context in
          let loop = Unmanaged<EventLoop>.fromOpaque(context!).takeRetainedValue()
          loop.run()
          loop.discardPendingWork()
          return nil
        }, context)
      precondition(result == 0, "pthread_create failed: \(result)")
      threads.append(thread)
    }
    self.threads = Mutex(threads)
  }

  /// The next loop in round-robin order (for work that can go anywhere).
  public func next() -> EventLoop {
    loops[roundRobin.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
  }

  /// Asks every loop to stop after its current iteration. Any thread.
  public func stop() {
    for loop in loops { loop.stop() }
  }

  /// Blocks until every loop thread has returned (after `stop()`). Only the first caller
  /// joins; later callers return at once. Never call it from a loop thread.
  public func join() {
    precondition(!loops.contains { $0.inEventLoop }, "join() called on a loop thread")
    guard
      let threads = threads.withLock({ value -> [pthread_t]? in
        defer { value = nil }
        return value
      })
    else { return }
    for thread in threads {
      pthread_join(thread, nil)
    }
  }
}
