// The positive control for tsan.supp: four threads add 100,000 each to a Mutex<Int>. The total
// is always 400,000, yet ThreadSanitizer reports a race, since it cannot see Mutex's futex lock.
//   swiftc -sanitize=thread Tests/Sanitizers/MutexCounter.swift -o /tmp/mutex-counter
//   /tmp/mutex-counter
import Foundation
import Synchronization

final class Counter: Sendable {
  let value = Mutex(0)
}

let counter = Counter()
let threads = (0..<4).map { _ in
  Thread { for _ in 0..<100_000 { counter.value.withLock { $0 += 1 } } }
}
for thread in threads { thread.start() }
while counter.value.withLock({ $0 }) < 400_000 { usleep(1000) }
print("total", counter.value.withLock { $0 })
