import Foundation

/// Threads that run the embedding model, so it never runs on an event loop: jobs wait in a
/// bounded FIFO queue and `submit` refuses one when the queue is full (the caller then applies
/// `classifier.on_overload`). A job hands its result back to its stream's loop itself.
public final class InferencePool: @unchecked Sendable {
  // @unchecked Sendable: `queue` and `stopping` are only touched under `condition`'s lock.
  private let condition = NSCondition()
  private var queue: [@Sendable () -> Void] = []
  /// Index of the oldest waiting job in `queue` (consumed slots are trimmed in batches).
  private var head = 0
  private var stopping = false
  private var running = 0
  public let capacity: Int
  public let threadCount: Int
  private let metrics: ClassifierMetrics?

  /// `threads` inference threads (0: one per core), at most `queueCapacity` jobs waiting.
  public init(threads: Int, queueCapacity: Int, metrics: ClassifierMetrics? = nil) {
    precondition(queueCapacity > 0, "the queue holds at least one job")
    self.threadCount = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
    self.capacity = queueCapacity
    self.metrics = metrics
    for index in 0..<threadCount {
      let thread = Thread { [self] in work() }
      thread.name = "inference-\(index)"
      running += 1
      thread.start()
    }
  }

  /// Queues `job` for an inference thread; false when the queue is full or the pool stopped.
  public func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    guard !stopping, queue.count - head < capacity else { return false }
    queue.append(job)
    metrics?.queueDepth.set(Double(queue.count - head))
    condition.signal()
    return true
  }

  /// Jobs waiting for a thread.
  public var queueDepth: Int {
    condition.lock()
    defer { condition.unlock() }
    return queue.count - head
  }

  /// Lets the threads finish the queued jobs, then stop; returns when they have.
  public func shutdown() {
    condition.lock()
    stopping = true
    condition.broadcast()
    while running > 0 { condition.wait() }
    condition.unlock()
  }

  private func work() {
    while let job = next() { job() }
    condition.lock()
    running -= 1
    condition.broadcast()
    condition.unlock()
  }

  /// The oldest waiting job; nil once stopping with nothing left.
  private func next() -> (@Sendable () -> Void)? {
    condition.lock()
    defer { condition.unlock() }
    while head == queue.count {
      if stopping { return nil }
      condition.wait()
    }
    let job = queue[head]
    head += 1
    if head == queue.count || head >= 1024 {
      queue.removeFirst(head)
      head = 0
    }
    metrics?.queueDepth.set(Double(queue.count - head))
    return job
  }
}
