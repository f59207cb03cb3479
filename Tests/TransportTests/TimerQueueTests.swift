import Testing

@testable import Transport

@Suite struct TimerQueueTests {
  @Test func popExpired_returnsTimersInDeadlineOrder_regardlessOfSchedulingOrder() {
    var queue = TimerQueue<Int>()
    for deadline in [50, 10, 40, 20, 30, 5, 45] {
      _ = queue.schedule(deadline, at: UInt64(deadline))
    }
    var fired: [Int] = []
    while let value = queue.popExpired(now: 100) { fired.append(value) }
    #expect(fired == [5, 10, 20, 30, 40, 45, 50])
  }

  @Test func popExpired_firesEqualDeadlinesInSchedulingOrder() {
    var queue = TimerQueue<String>()
    for name in ["a", "b", "c", "d"] { _ = queue.schedule(name, at: 7) }
    var fired: [String] = []
    while let value = queue.popExpired(now: 7) { fired.append(value) }
    #expect(fired == ["a", "b", "c", "d"])
  }

  @Test func popExpired_leavesTimersWhoseDeadlineIsLater() {
    var queue = TimerQueue<Int>()
    _ = queue.schedule(1, at: 10)
    _ = queue.schedule(2, at: 20)
    #expect(queue.popExpired(now: 15) == 1)
    #expect(queue.popExpired(now: 15) == nil)
    #expect(queue.nextDeadline() == 20)
  }

  @Test func cancel_removesTimer_andNextDeadlineSkipsIt() {
    var queue = TimerQueue<Int>()
    let first = queue.schedule(1, at: 10)
    _ = queue.schedule(2, at: 20)
    #expect(queue.cancel(first) == 1)
    #expect(queue.cancel(first) == nil)
    #expect(queue.count == 1)
    #expect(queue.nextDeadline() == 20)
    #expect(queue.popExpired(now: 100) == 2)
    #expect(queue.nextDeadline() == nil)
  }
}
