import Dispatch
import Glibc
import Logging
import Synchronization
import Testing

@testable import Transport

/// An `HTTP2Server` over mutual TLS, reached by the client `HTTP2Connection`: a client with a
/// certificate from the trusted CA is served, one without is refused and counted.
@Suite("HTTP/2 server over TLS")
struct HTTP2ServerTLSTests {
  /// Accepts connections and never opens streams (the tests look at the handshake only).
  final class IdleDelegate: HTTP2ConnectionDelegate {
    func connection(
      _ connection: HTTP2Connection, openedStream stream: HTTP2Stream, headers: [HTTP2Header],
      endStream: Bool
    ) {}
    func connectionClosed(_ connection: HTTP2Connection) {}
  }

  /// Runs `body` with a started mutual-TLS server on 127.0.0.1 and its certificates.
  func withServer(
    limits: HTTP2ServerLimits = HTTP2ServerLimits(),
    _ body: (TLSTestCertificates, HTTP2Server, HTTP2ServerCounters) throws -> Void
  ) throws {
    let certificates = try TLSTestCertificates()
    defer { certificates.remove() }
    var configuration = HTTP2Server.Configuration(host: "127.0.0.1", port: 0)
    configuration.limits = limits
    configuration.tls = TLSServerConfiguration(
      certificateFile: certificates.serverChainFile, keyFile: certificates.serverKeyFile,
      clientCAFile: certificates.caFile)
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    let server = HTTP2Server(
      configuration: configuration, group: group, logger: Logger(label: "test")
    ) { _ in IdleDelegate() }
    try server.start()
    try body(certificates, server, configuration.limits.counters)
  }

  /// Connects with `tls` from a fresh loop and closes the connection at once; the failure, if
  /// any.
  func connect(port: Int, tls: TLSConfiguration) throws -> Result<Void, HTTP2ConnectError> {
    let context = try TLSContext(configuration: tls)
    let address = try SocketAddress.resolve(host: "127.0.0.1", port: port)
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    let loop = group.loops[0]
    let outcome = Mutex<Result<Void, HTTP2ConnectError>?>(nil)
    let done = DispatchSemaphore(value: 0)
    loop.execute {
      HTTP2Connection.connect(
        to: address, on: loop, tls: (context: context, serverName: "127.0.0.1"),
        timeoutNanoseconds: 10_000_000_000, logger: Logger(label: "test")
      ) { result in
        outcome.withLock { $0 = result.map { $0.close() } }
        done.signal()
      }
    }
    #expect(done.wait(timeout: .now() + 15) == .success)
    return try #require(outcome.withLock { $0 })
  }

  /// Waits for `condition` (the server's counters change on its loop thread, which signals
  /// nothing): polls it until it holds, giving up after 30 s.
  func eventually(_ condition: () -> Bool) -> Bool {
    for _ in 0..<3000 {
      if condition() { return true }
      usleep(10_000)
    }
    return condition()
  }

  @Test func clientWithCertificate_isServedOverH2() throws {
    try withServer { certificates, server, counters in
      let port = try #require(server.localAddress?.port)
      let result = try connect(
        port: port,
        tls: TLSConfiguration(
          caFile: certificates.caFile, alpnProtocols: ["h2"],
          clientCertificateFile: certificates.clientCertificateFile,
          clientKeyFile: certificates.clientKeyFile))
      #expect((try? result.get()) != nil)
      // The client closed at once: the server saw the connection through and let it go.
      #expect(eventually { counters.openConnections == 0 })
      #expect(counters.closed(.tlsHandshake) == 0)
    }
  }

  @Test func clientWithoutCertificate_isRefusedAndCounted() throws {
    try withServer { certificates, server, counters in
      let port = try #require(server.localAddress?.port)
      // Under TLS 1.3 the client may finish its side before the server checks for its
      // certificate, so the connect itself may succeed; the server's refusal is the fact.
      _ = try connect(
        port: port, tls: TLSConfiguration(caFile: certificates.caFile, alpnProtocols: ["h2"]))
      #expect(eventually { counters.closed(.tlsHandshake) == 1 })
      #expect(eventually { counters.openConnections == 0 })
    }
  }

  @Test func keyThatDoesNotMatch_failsTheContext() throws {
    let certificates = try TLSTestCertificates()
    defer { certificates.remove() }
    let configuration = TLSServerConfiguration(
      certificateFile: certificates.serverChainFile, keyFile: certificates.clientKeyFile)
    #expect(throws: TLSError.self) { try TLSContext(server: configuration) }
  }

  @Test func silentClient_isClosedAfterThePrefaceTimeout_andCounted() throws {
    var limits = HTTP2ServerLimits()
    limits.prefaceTimeout = .milliseconds(250)
    try withServer(limits: limits) { _, server, counters in
      let port = try #require(server.localAddress?.port)
      let (fd, error) = connectLoopback(port: port)
      defer { close(fd) }
      try #require(error == 0)
      // Sends no ClientHello: the server closes the socket (the read sees its end).
      var timeout = timeval(tv_sec: 30, tv_usec: 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
      var byte: UInt8 = 0
      #expect(read(fd, &byte, 1) == 0)
      #expect(eventually { counters.closed(.tlsHandshake) == 1 })
      #expect(eventually { counters.openConnections == 0 })
    }
  }
}
