import Foundation
import Router
import Testing

@Suite struct InferencePoolTests {
  @Test func fullQueue_refusesTheNextJob_andTakesJobsAgainOnceItDrains() {
    let pool = InferencePool(threads: 1, queueCapacity: 1)
    defer { pool.shutdown() }
    let started = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    let done = DispatchSemaphore(value: 0)
    // The only thread is busy with this job...
    #expect(pool.submit {
      started.signal()
      release.wait()
      done.signal()
    })
    started.wait()
    // ...so one job waits in the queue, and the next finds it full.
    #expect(pool.submit { done.signal() })
    #expect(pool.queueDepth == 1)
    #expect(!pool.submit { Issue.record("a refused job must never run") })
    release.signal()
    done.wait()
    done.wait()
    #expect(pool.queueDepth == 0)
    #expect(pool.submit { done.signal() })
    done.wait()
  }

  @Test func shutdown_runsTheQueuedJobs_thenRefusesNewOnes() {
    let pool = InferencePool(threads: 2, queueCapacity: 8)
    let ran = Counter()
    for _ in 0..<8 { _ = pool.submit { ran.add() } }
    pool.shutdown()
    #expect(ran.value == 8)
    #expect(!pool.submit {})
  }

  @Test func zeroThreads_meansOnePerCore() {
    let pool = InferencePool(threads: 0, queueCapacity: 1)
    defer { pool.shutdown() }
    #expect(pool.threadCount == ProcessInfo.processInfo.activeProcessorCount)
  }
}

private final class Counter: @unchecked Sendable {
  // @unchecked Sendable: `count` is only touched under `lock`.
  private let lock = NSLock()
  private var count = 0
  func add() { lock.withLock { count += 1 } }
  var value: Int { lock.withLock { count } }
}
