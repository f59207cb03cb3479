/// The identity of a scheduled timer, used to cancel it.
public struct TimerID: Hashable, Sendable {
  package let rawValue: UInt64
}

/// Pending timers ordered by deadline (a binary min-heap), earliest first; timers with the same
/// deadline fire in the order they were scheduled. Cancelling is O(1): the heap entry is dropped
/// lazily when it reaches the top.
package struct TimerQueue<Payload> {
  private struct Entry {
    var deadline: UInt64
    var id: UInt64

    func firesBefore(_ other: Entry) -> Bool {
      deadline != other.deadline ? deadline < other.deadline : id < other.id
    }
  }

  private var heap: [Entry] = []
  private var payloads: [UInt64: Payload] = [:]
  private var nextID: UInt64 = 0

  package init() {}

  /// The number of timers that are scheduled and not cancelled.
  package var count: Int { payloads.count }

  /// Schedules `payload` for `deadline` (monotonic nanoseconds).
  package mutating func schedule(_ payload: Payload, at deadline: UInt64) -> TimerID {
    nextID &+= 1
    payloads[nextID] = payload
    heap.append(Entry(deadline: deadline, id: nextID))
    siftUp(heap.count - 1)
    return TimerID(rawValue: nextID)
  }

  /// Cancels a timer; returns its payload if it had not fired or been cancelled yet.
  @discardableResult
  package mutating func cancel(_ id: TimerID) -> Payload? {
    payloads.removeValue(forKey: id.rawValue)
  }

  /// The earliest deadline among live timers, if any.
  package mutating func nextDeadline() -> UInt64? {
    dropCancelledTop()
    return heap.first?.deadline
  }

  /// Removes and returns the earliest timer whose deadline is at or before `now`.
  package mutating func popExpired(now: UInt64) -> Payload? {
    dropCancelledTop()
    guard let top = heap.first, top.deadline <= now else { return nil }
    removeTop()
    return payloads.removeValue(forKey: top.id)
  }

  private mutating func dropCancelledTop() {
    while let top = heap.first, payloads[top.id] == nil { removeTop() }
  }

  private mutating func removeTop() {
    let last = heap.removeLast()
    guard !heap.isEmpty else { return }
    heap[0] = last
    siftDown(0)
  }

  private mutating func siftUp(_ start: Int) {
    var child = start
    while child > 0 {
      let parent = (child - 1) / 2
      guard heap[child].firesBefore(heap[parent]) else { return }
      heap.swapAt(child, parent)
      child = parent
    }
  }

  private mutating func siftDown(_ start: Int) {
    var parent = start
    while true {
      let left = 2 * parent + 1
      guard left < heap.count else { return }
      var first = left
      if left + 1 < heap.count, heap[left + 1].firesBefore(heap[left]) { first = left + 1 }
      guard heap[first].firesBefore(heap[parent]) else { return }
      heap.swapAt(first, parent)
      parent = first
    }
  }
}
