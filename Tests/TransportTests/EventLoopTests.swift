import Dispatch
import Synchronization
import Testing

@testable import Transport

@Suite struct EventLoopTests {
  @Test func execute_fromAnotherThread_runsTaskOnTheLoopThread() throws {
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    let loop = group.loops[0]
    #expect(!loop.inEventLoop)
    let ranOnLoop = Mutex<Bool?>(nil)
    let done = DispatchSemaphore(value: 0)
    loop.execute {
      ranOnLoop.withLock { $0 = loop.inEventLoop }
      done.signal()
    }
    #expect(done.wait(timeout: .now() + 5) == .success)
    #expect(ranOnLoop.withLock { $0 } == true)
  }

  /// A stopped server left its drain timer and tasks in its loop, and they (through the loop
  /// their callbacks refer to) kept the loop, its 256 KiB read buffer and the server alive for
  /// good: LeakSanitizer found every server the tests stopped.
  @Test func stoppedGroup_dropsPendingTimersAndTasks_soTheLoopIsFreed() throws {
    weak var freedLoop: EventLoop?
    do {
      let group = try EventLoopGroup(count: 1)
      let loop = group.loops[0]
      freedLoop = loop
      let scheduled = DispatchSemaphore(value: 0)
      loop.execute {
        // A timer that never comes due, whose callback refers to its own loop.
        loop.scheduleTimer(atNanoseconds: .max) { _ = loop.index }
        scheduled.signal()
      }
      #expect(scheduled.wait(timeout: .now() + 5) == .success)
      group.stop()
      group.join()
    }
    #expect(freedLoop == nil)
  }

  @Test func timers_fireInDeadlineOrder_andCancelledTimersNever() throws {
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    let loop = group.loops[0]
    let fired = Mutex<[Int]>([])
    let done = DispatchSemaphore(value: 0)
    loop.execute {
      // Deadlines from one reading of the clock, so their order does not depend on how long
      // scheduling takes.
      let now = Syscall.monotonicNanoseconds()
      for (label, milliseconds) in [(3, 30), (1, 10), (4, 40), (2, 20)] {
        loop.scheduleTimer(atNanoseconds: now + UInt64(milliseconds) * 1_000_000) {
          fired.withLock { $0.append(label) }
          if label == 4 { done.signal() }
        }
      }
      let cancelled = loop.scheduleTimer(atNanoseconds: now + 15_000_000) {
        fired.withLock { $0.append(99) }
      }
      loop.cancelTimer(cancelled)
    }
    #expect(done.wait(timeout: .now() + 5) == .success)
    #expect(fired.withLock { $0 } == [1, 2, 3, 4])
  }

  @Test func timer_doesNotFireBeforeItsDelay() throws {
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    let loop = group.loops[0]
    let elapsed = Mutex<UInt64>(0)
    let done = DispatchSemaphore(value: 0)
    loop.execute {
      let start = Syscall.monotonicNanoseconds()
      loop.scheduleTimer(afterNanoseconds: 50_000_000) {
        elapsed.withLock { $0 = Syscall.monotonicNanoseconds() - start }
        done.signal()
      }
    }
    #expect(done.wait(timeout: .now() + 5) == .success)
    #expect(elapsed.withLock { $0 } >= 50_000_000)
  }
}
