internal import CSystemShims
import Glibc
import Synchronization

/// Something registered with an event loop for readiness events. Loop-thread confined.
package protocol Selectable: AnyObject {
  /// The descriptor is readable, or has hung up or failed (a read will say which).
  func readable()
  /// The descriptor is writable (only delivered while registered for writing).
  func writable()
  /// The loop stopped for good while this was still registered: close the descriptor and drop
  /// what refers back (an open connection holds itself for its C library's callbacks, so left
  /// open it would stay allocated, with its loop, for the life of the process).
  func loopStopped()
}

/// Work a loop runs once at the end of the current iteration, before it waits again (used to
/// coalesce many small sends into one write).
package protocol EndOfTickWork: AnyObject {
  func runAtEndOfTick()
}

/// An epoll event loop that runs on one thread at a time: I/O readiness, timers, and tasks
/// handed over from other threads (woken through an eventfd).
///
/// Everything but `execute` and `stop` must be called on the thread running the loop: usually
/// one thread for good (`run()`), or callers in turn that each drive it while they wait
/// (`run(until:)`).
public final class EventLoop: @unchecked Sendable {
  // @unchecked Sendable: cross-thread state is in `inbox` (a Mutex) and `thread` (an Atomic);
  // everything else is touched only by the thread running the loop, which `assertInEventLoop`
  // checks. Callers taking turns with `run(until:)` order their turns themselves (a lock).

  private struct Inbox {
    var tasks: [@Sendable () -> Void] = []
    var stopRequested = false
  }

  private struct Registration {
    var id: UInt32
    var handler: any Selectable
  }

  /// The loop's index in its group, for logs.
  public let index: Int
  private let epollFD: Int32
  private let wakeFD: Int32
  private let inbox = Mutex(Inbox())
  private let thread = Atomic<UInt>(0)
  private var registrations: [Registration?] = []
  private var nextRegistrationID: UInt32 = 0
  private var timers = TimerQueue<() -> Void>()
  private var endOfTick: [any EndOfTickWork] = []
  private var runningTasks: [@Sendable () -> Void] = []
  private var events: UnsafeMutableBufferPointer<epoll_event>
  /// A read buffer shared by everything on this loop (reads are consumed before the next one).
  package let readBuffer: UnsafeMutableRawBufferPointer

  private static let wakeToken = UInt64.max

  /// The size of `readBuffer`: the most one read takes from a socket.
  package static let defaultReadBufferSize = 256 * 1024

  /// Creates a loop; it does nothing until `run()` is called on some thread.
  public convenience init(index: Int = 0) throws {
    try self.init(index: index, readBufferSize: Self.defaultReadBufferSize)
  }

  /// Creates a loop whose reads take at most `readBufferSize` bytes (tests use a small one to
  /// see the reads-per-event cap at work on a few bytes).
  package init(index: Int, readBufferSize: Int) throws {
    self.index = index
    epollFD = try Syscall.epollCreate()
    do {
      wakeFD = try Syscall.eventFD()
    } catch {
      Syscall.close(epollFD)
      throw error
    }
    events = .allocate(capacity: 256)
    readBuffer = .allocate(byteCount: readBufferSize, alignment: 16)
    try Syscall.epollControl(
      epollFD, EPOLL_CTL_ADD, wakeFD, events: EPOLLIN.rawValue, data: Self.wakeToken)
  }

  deinit {
    Syscall.close(wakeFD)
    Syscall.close(epollFD)
    events.deallocate()
    readBuffer.deallocate()
  }

  // MARK: - Threads

  /// The loop the calling thread is running, if any (lets a per-loop resource, such as a Redis
  /// client, be found by code that only knows it runs on some loop).
  public static var current: EventLoop? {
    pthread_getspecific(currentKey).map {
      Unmanaged<EventLoop>.fromOpaque($0).takeUnretainedValue()
    }
  }

  private static let currentKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()

  /// Whether the caller runs on this loop's thread.
  public var inEventLoop: Bool {
    let owner = thread.load(ordering: .relaxed)
    return owner != 0 && owner == UInt(pthread_self())
  }

  /// Traps (in debug builds) when called off the loop thread.
  @inline(__always)
  public func assertInEventLoop(file: StaticString = #fileID, line: UInt = #line) {
    assert(inEventLoop, "called off the event loop thread", file: file, line: line)
  }

  /// Runs `task` on the loop thread, later (never inline, even when called on the loop).
  public func execute(_ task: @escaping @Sendable () -> Void) {
    let wasEmpty = inbox.withLock { inbox in
      let wasEmpty = inbox.tasks.isEmpty
      inbox.tasks.append(task)
      return wasEmpty
    }
    if wasEmpty { Syscall.eventFDSignal(wakeFD) }
  }

  /// Asks the loop to return from `run()` after its current iteration. Any thread.
  public func stop() {
    inbox.withLock { $0.stopRequested = true }
    Syscall.eventFDSignal(wakeFD)
  }

  // MARK: - Timers

  /// Runs `callback` on the loop after `nanoseconds`. Loop thread only.
  @discardableResult
  public func scheduleTimer(
    afterNanoseconds nanoseconds: UInt64, _ callback: @escaping () -> Void
  ) -> TimerID {
    let (deadline, overflow) = Syscall.monotonicNanoseconds().addingReportingOverflow(nanoseconds)
    return scheduleTimer(atNanoseconds: overflow ? .max : deadline, callback)
  }

  /// Runs `callback` on the loop once the monotonic clock (`Syscall.monotonicNanoseconds`)
  /// reaches `deadline`. Loop thread only.
  @discardableResult
  package func scheduleTimer(
    atNanoseconds deadline: UInt64, _ callback: @escaping () -> Void
  ) -> TimerID {
    assertInEventLoop()
    return timers.schedule(callback, at: deadline)
  }

  /// Cancels a timer that has not fired yet. Loop thread only.
  public func cancelTimer(_ id: TimerID) {
    assertInEventLoop()
    timers.cancel(id)
  }

  // MARK: - Registrations

  /// Registers `fd` for readability (and writability if asked). Loop thread only.
  package func register(
    fd: Int32, handler: any Selectable, writable: Bool = false
  ) throws(SystemError) {
    assertInEventLoop()
    nextRegistrationID &+= 1
    if Int(fd) >= registrations.count {
      registrations.append(contentsOf: repeatElement(nil, count: Int(fd) + 1 - registrations.count))
    }
    registrations[Int(fd)] = Registration(id: nextRegistrationID, handler: handler)
    do {
      try Syscall.epollControl(
        epollFD, EPOLL_CTL_ADD, fd, events: Self.mask(readable: true, writable: writable),
        data: UInt64(nextRegistrationID) << 32 | UInt64(UInt32(bitPattern: fd)))
    } catch {
      registrations[Int(fd)] = nil
      throw error
    }
  }

  /// Turns interest in writability on or off for a registered `fd` (reading stays on). Loop
  /// thread only.
  package func setWritable(fd: Int32, _ writable: Bool) throws(SystemError) {
    try setInterest(fd: fd, readable: true, writable: writable)
  }

  /// Sets interest in readability and writability for a registered `fd` (a handler that stops
  /// reading gets no readiness events for input, so a level-triggered loop does not spin).
  /// Loop thread only.
  package func setInterest(fd: Int32, readable: Bool, writable: Bool) throws(SystemError) {
    assertInEventLoop()
    guard Int(fd) < registrations.count, let registration = registrations[Int(fd)] else { return }
    try Syscall.epollControl(
      epollFD, EPOLL_CTL_MOD, fd, events: Self.mask(readable: readable, writable: writable),
      data: UInt64(registration.id) << 32 | UInt64(UInt32(bitPattern: fd)))
  }

  /// Removes `fd`; call before closing it. Loop thread only.
  package func unregister(fd: Int32) {
    assertInEventLoop()
    guard Int(fd) < registrations.count, registrations[Int(fd)] != nil else { return }
    registrations[Int(fd)] = nil
    try? Syscall.epollControl(epollFD, EPOLL_CTL_DEL, fd, events: 0, data: 0)
  }

  /// Runs `work.runAtEndOfTick()` once this iteration's events, timers and tasks are done.
  package func runAtEndOfTick(_ work: any EndOfTickWork) {
    assertInEventLoop()
    endOfTick.append(work)
  }

  private static func mask(readable: Bool, writable: Bool) -> UInt32 {
    (readable ? EPOLLIN.rawValue | EPOLLRDHUP.rawValue : 0) | (writable ? EPOLLOUT.rawValue : 0)
  }

  /// Closes what is still registered and drops the timers, tasks and end-of-tick work the loop
  /// still holds, once no thread will run it again: their handlers and callbacks refer back to
  /// the loop (and to the servers and connections they serve), so kept they would keep all of
  /// it alive for good. Called by the thread that ran the loop, after `run()` returned.
  package func discardPendingWork() {
    // The handlers close as they would on the loop (unregistering, cancelling their timers).
    thread.store(UInt(pthread_self()), ordering: .relaxed)
    defer { thread.store(0, ordering: .relaxed) }
    for registration in registrations {
      registration?.handler.loopStopped()
    }
    registrations.removeAll()
    timers = TimerQueue()
    endOfTick.removeAll()
    runningTasks.removeAll()
    inbox.withLock { $0.tasks.removeAll() }
  }

  // MARK: - Running

  /// Runs the loop on the calling thread until `stop()`.
  public func run() {
    run(until: { false })
  }

  /// Runs the loop on the calling thread until `done()` holds (checked before each wait), or
  /// `stop()`.
  ///
  /// For a loop that no thread runs for good: a client used from one thread can drive its loop
  /// only while it waits for an answer, instead of handing each request to a loop thread and
  /// being woken for the answer (two thread switches per call). One thread at a time: callers
  /// taking turns must order them (e.g. hold a lock while they drive), so each turn sees the
  /// last one's writes.
  public func run(until done: () -> Bool) {
    thread.store(UInt(pthread_self()), ordering: .relaxed)
    let outer = pthread_getspecific(Self.currentKey)
    pthread_setspecific(Self.currentKey, Unmanaged.passUnretained(self).toOpaque())
    defer {
      pthread_setspecific(Self.currentKey, outer)
      thread.store(0, ordering: .relaxed)
    }
    while !done() {
      let count: Int
      do {
        count = try Syscall.epollWait(epollFD, events, timeoutMilliseconds: waitTimeout())
      } catch {
        fatalError("epoll_wait failed: \(error)")
      }
      for index in 0..<count {
        dispatch(events[index])
      }
      runExpiredTimers()
      let stopRequested = runTasks()
      runEndOfTickWork()
      if stopRequested { return }
    }
  }

  private func waitTimeout() -> Int32 {
    if !endOfTick.isEmpty { return 0 }
    guard let deadline = timers.nextDeadline() else { return -1 }
    let now = Syscall.monotonicNanoseconds()
    guard deadline > now else { return 0 }
    let milliseconds = (deadline - now + 999_999) / 1_000_000
    return Int32(min(milliseconds, UInt64(Int32.max)))
  }

  private func dispatch(_ event: epoll_event) {
    let data = event.data.u64
    if data == Self.wakeToken {
      Syscall.eventFDDrain(wakeFD)
      return
    }
    let fd = Int(Int32(bitPattern: UInt32(truncatingIfNeeded: data)))
    let id = UInt32(truncatingIfNeeded: data >> 32)
    guard fd < registrations.count, let registration = registrations[fd], registration.id == id
    else { return }
    let flags = event.events
    let readMask = EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue | EPOLLRDHUP.rawValue
    if flags & readMask != 0 {
      registration.handler.readable()
    }
    if flags & (EPOLLOUT.rawValue | EPOLLERR.rawValue) != 0,
      fd < registrations.count, registrations[fd]?.id == id
    {
      registration.handler.writable()
    }
  }

  private func runExpiredTimers() {
    guard timers.count > 0 else { return }
    let now = Syscall.monotonicNanoseconds()
    while let callback = timers.popExpired(now: now) {
      callback()
    }
  }

  /// Runs handed-over tasks; returns true when the loop was asked to stop.
  private func runTasks() -> Bool {
    let stop = inbox.withLock { inbox in
      swap(&inbox.tasks, &runningTasks)
      return inbox.stopRequested
    }
    for task in runningTasks {
      task()
    }
    runningTasks.removeAll(keepingCapacity: true)
    return stop
  }

  private func runEndOfTickWork() {
    var index = 0
    while index < endOfTick.count {
      endOfTick[index].runAtEndOfTick()
      index += 1
    }
    endOfTick.removeAll(keepingCapacity: true)
  }
}
