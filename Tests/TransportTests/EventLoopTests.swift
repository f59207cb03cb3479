import Dispatch
import Glibc
import Logging
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

  /// An open connection holds itself (nghttp2's callbacks point at it) until it closes, so
  /// one still open when its loop stopped stayed allocated with the loop for good
  /// (LeakSanitizer's report after every test that stopped a loop with connections open).
  @Test func stoppedGroup_closesTheConnectionsStillOpen_soTheyAreFreed() throws {
    final class WeakConnection: @unchecked Sendable {
      // @unchecked Sendable: set on the loop before `done` signals, read after.
      weak var connection: HTTP2Connection?
    }
    let (serverFD, peerFD) = try Syscall.socketpair()
    defer { Syscall.close(peerFD) }
    let started = WeakConnection()
    do {
      let group = try EventLoopGroup(count: 1)
      let loop = group.loops[0]
      let done = DispatchSemaphore(value: 0)
      loop.execute {
        let connection = HTTP2Connection(
          fd: serverFD, role: .server, loop: loop, settings: HTTP2Settings(),
          peerAddress: "peer", logger: Logger(label: "test"))
        try! connection.start()
        started.connection = connection
        done.signal()
      }
      #expect(done.wait(timeout: .now() + 5) == .success)
      #expect(started.connection != nil)
      group.stop()
      group.join()
    }
    #expect(started.connection == nil)
    // The server's end was closed: the peer reads its SETTINGS, then the end of the stream.
    let peer = RawPeer(fd: peerFD)
    while peer.readFrame() != nil {}
    var byte: UInt8 = 0
    #expect(recv(peerFD, &byte, 1, Int32(MSG_DONTWAIT)) == 0)
  }

  /// A server's listener held its accept callback, which holds the server and its group, and
  /// the server holds the listener: a server whose loops stopped without `beginGracefulShutdown`
  /// stayed allocated with its loops, listening, for good.
  @Test func stoppedGroup_closesTheListener_soTheServerAndItsLoopsAreFreed() throws {
    weak var freedLoop: EventLoop?
    let port: Int
    do {
      let group = try EventLoopGroup(count: 1)
      freedLoop = group.loops[0]
      let server = HTTP2Server(
        configuration: HTTP2Server.Configuration(host: "127.0.0.1", port: 0), group: group,
        logger: Logger(label: "test")
      ) { _ in HTTP2ConnectionTests.EchoServer() }
      port = try server.start().port
      group.stop()
      group.join()
    }
    #expect(freedLoop == nil)
    #expect(Self.connectionIsRefused(port: port))
  }

  /// A listener out of descriptors (accept failed with EMFILE or ENFILE) stops watching its
  /// socket until a retry 100 ms later. It used to leave the loop's registrations for that
  /// pause, so a loop stopped meanwhile never told it: it stayed open, listening, with its
  /// accept callback and what that holds (its server, which holds it) allocated for good.
  @Test func stoppedGroup_closesAListenerPausedForLackOfDescriptors() throws {
    /// Stands for the server: it holds the listener, whose accept callback holds it.
    final class Owner {
      var listener: TCPListener?
      var accepted = 0
    }
    final class Observed: @unchecked Sendable {
      // @unchecked Sendable: set on the loop before `paused` signals, read after.
      weak var owner: Owner?
      var port = 0
    }
    let observed = Observed()
    do {
      let group = try EventLoopGroup(count: 1)
      let loop = group.loops[0]
      let paused = DispatchSemaphore(value: 0)
      loop.execute {
        let owner = Owner()
        let listener = try! TCPListener(
          address: SocketAddress.resolve(host: "127.0.0.1", port: 0), backlog: 8, loop: loop,
          logger: Logger(label: "test")
        ) { client in
          owner.accepted += 1
          Syscall.close(client)
        }
        owner.listener = listener
        try! listener.start()
        // What an accept failing with EMFILE does, without exhausting this test process's
        // descriptors (other tests run beside it).
        listener.pause()
        observed.owner = owner
        observed.port = try! listener.localAddress().port
        paused.signal()
      }
      #expect(paused.wait(timeout: .now() + 5) == .success)
      group.stop()
      group.join()
    }
    #expect(observed.owner == nil)
    #expect(Self.connectionIsRefused(port: observed.port))
  }

  /// Whether connecting to 127.0.0.1:`port` is refused (nothing listens there any more).
  private static func connectionIsRefused(port: Int) -> Bool {
    let (fd, error) = connectLoopback(port: port)
    Glibc.close(fd)
    return error == ECONNREFUSED
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
