import Dispatch
import Glibc
import Logging
import Synchronization
import Testing

@testable import Transport

@Suite struct TCPListenerTests {
  /// After a pause for lack of descriptors the listener watches its socket again: a client
  /// that connected during the pause, waiting in the backlog, is accepted.
  @Test func pausedListener_acceptsTheWaitingClientAfterThePause() throws {
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    let loop = group.loops[0]
    let accepted = DispatchSemaphore(value: 0)
    let port = Mutex(0)
    let paused = DispatchSemaphore(value: 0)
    loop.execute {
      let listener = try! TCPListener(
        address: SocketAddress.resolve(host: "127.0.0.1", port: 0), backlog: 8, loop: loop,
        logger: Logger(label: "test")
      ) { client in
        Syscall.close(client)
        accepted.signal()
      }
      try! listener.start()
      listener.pause()
      port.withLock { $0 = try! listener.localAddress().port }
      paused.signal()
    }
    #expect(paused.wait(timeout: .now() + 5) == .success)
    let (client, error) = connectLoopback(port: port.withLock { $0 })
    defer { Glibc.close(client) }
    #expect(error == 0)
    // A guard against hanging, not a measurement: the pause lasts 100 ms.
    #expect(accepted.wait(timeout: .now() + 10) == .success)
  }
}
