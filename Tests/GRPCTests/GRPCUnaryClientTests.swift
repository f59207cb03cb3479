import Dispatch
import Foundation
import GRPC
import Logging
import Synchronization
import Testing
import Transport

/// The unary client against our own server on loopback.
@Suite struct GRPCUnaryClientTests {
  /// `onSilentCall` runs (on the server's loop) when a `Silent` call's message arrives.
  static func startServer(
    port: Int = 0, onSilentCall: (@Sendable () -> Void)? = nil
  ) throws -> GRPCServer {
    let logger = Logger(label: "test")
    let server = GRPCServer(
      configuration: GRPCServer.Configuration(host: "127.0.0.1", port: port, threads: 1),
      logger: logger)
    server.register(path: "/test.Echo/Echo") { _ in EchoHandler() }
    server.register(path: "/test.Echo/Silent") { _ in SilentHandler(onMessage: onSilentCall) }
    server.register(path: "/test.Echo/Fail") { _ in
      FailHandler(status: GRPCStatus(.unavailable, "try again \u{2713} 100%"))
    }
    try server.start()
    return server
  }

  static func stop(_ server: GRPCServer) {
    server.beginGracefulShutdown(drainTimeout: .milliseconds(200))
    server.wait()
  }

  /// Every behaviour holds whether a loop thread or the caller runs the client's loop.
  static let threadings: [GRPCUnaryClient.Threading] = [.loopThread, .caller]

  static func client(
    port: Int, threading: GRPCUnaryClient.Threading = .loopThread
  ) throws -> GRPCUnaryClient {
    var configuration = GRPCUnaryClient.Configuration(host: "127.0.0.1", port: port)
    configuration.connectTimeout = .seconds(2)
    configuration.threading = threading
    let logger = Logger(label: "client")
    return try GRPCUnaryClient(configuration: configuration, logger: logger)
  }

  @Test(arguments: threadings)
  func call_returnsTheResponseMessage_andErrorStatusesWithDecodedMessages(
    threading: GRPCUnaryClient.Threading
  ) throws {
    let server = try Self.startServer()
    defer { Self.stop(server) }
    let client = try Self.client(
      port: try #require(server.localAddress?.port), threading: threading)
    defer { client.shutdown() }

    let body = (0..<100_000).map { UInt8(truncatingIfNeeded: $0) }
    #expect(
      try client.call(path: "/test.Echo/Echo", request: body, timeout: .seconds(5)).get() == body)
    #expect(try client.call(path: "/test.Echo/Echo", request: [], timeout: .seconds(5)).get() == [])

    let failed = client.call(path: "/test.Echo/Fail", request: [1], timeout: .seconds(5))
    #expect(failed == .failure(GRPCStatus(.unavailable, "try again \u{2713} 100%")))

    let unknown = client.call(path: "/no.Such/Method", request: [1], timeout: .seconds(5))
    guard case .failure(let status) = unknown else {
      Issue.record("unknown method succeeded")
      return
    }
    #expect(status.code == .unimplemented)
  }

  @Test(arguments: threadings)
  func call_pastItsTimeout_isDeadlineExceeded(threading: GRPCUnaryClient.Threading) throws {
    let server = try Self.startServer()
    defer { Self.stop(server) }
    let client = try Self.client(
      port: try #require(server.localAddress?.port), threading: threading)
    defer { client.shutdown() }
    let result = client.call(path: "/test.Echo/Silent", request: [1], timeout: .milliseconds(100))
    guard case .failure(let status) = result else {
      Issue.record("silent call succeeded")
      return
    }
    #expect(status.code == .deadlineExceeded)
  }

  @Test(arguments: threadings)
  func call_withNoServer_isUnavailable_andReconnectsOnceAServerListens(
    threading: GRPCUnaryClient.Threading
  ) throws {
    // Find a free port, then free it again.
    let probe = try Self.startServer()
    let port = try #require(probe.localAddress?.port)
    Self.stop(probe)

    let client = try Self.client(port: port, threading: threading)
    defer { client.shutdown() }
    let refused = client.call(path: "/test.Echo/Echo", request: [1], timeout: .seconds(2))
    guard case .failure(let status) = refused else {
      Issue.record("call without a server succeeded")
      return
    }
    #expect(status.code == .unavailable)

    let server = try Self.startServer(port: port)
    #expect(
      try client.call(path: "/test.Echo/Echo", request: [2], timeout: .seconds(5)).get() == [2])
    Self.stop(server)

    // The server's drain sent GOAWAY and closed. A call racing with that close may still go out
    // on the dying connection and fail with UNAVAILABLE (as with any gRPC client; callers retry
    // it); after that the client must have reconnected.
    let restarted = try Self.startServer(port: port)
    defer { Self.stop(restarted) }
    if case .failure(let status) = client.call(
      path: "/test.Echo/Echo", request: [3], timeout: .seconds(5))
    {
      #expect(status.code == .unavailable)
    }
    #expect(
      try client.call(path: "/test.Echo/Echo", request: [4], timeout: .seconds(5)).get() == [4])
  }

  @Test func callerThreading_callsFromSeveralThreads_takeTurnsDrivingTheLoop() throws {
    let server = try Self.startServer()
    defer { Self.stop(server) }
    let client = try Self.client(
      port: try #require(server.localAddress?.port), threading: .caller)
    defer { client.shutdown() }
    let answers = Mutex<[[UInt8]]>([])
    DispatchQueue.concurrentPerform(iterations: 4) { thread in
      for i in 0..<25 {
        let request = [UInt8(thread), UInt8(i)]
        if let answer = try? client.call(
          path: "/test.Echo/Echo", request: request, timeout: .seconds(5)
        ).get() {
          answers.withLock { $0.append(answer) }
        }
      }
    }
    let received = answers.withLock { $0 }
    #expect(received.count == 100)
    #expect(Set(received.map { $0[0] * 25 + $0[1] }).count == 100)
  }

  @Test func callerThreading_shutdownFromAnotherThread_endsTheCallItDrives() throws {
    let arrived = DispatchSemaphore(value: 0)
    let server = try Self.startServer(onSilentCall: { arrived.signal() })
    defer { Self.stop(server) }
    let client = try Self.client(
      port: try #require(server.localAddress?.port), threading: .caller)
    // Shut down once the server holds the call: the call is in flight, its caller driving.
    DispatchQueue.global().async {
      _ = arrived.wait(timeout: .now() + 30)
      client.shutdown()
    }
    // The deadline is far: only the shutdown can end the call as UNAVAILABLE.
    let result = client.call(path: "/test.Echo/Silent", request: [1], timeout: .seconds(60))
    guard case .failure(let status) = result else {
      Issue.record("silent call succeeded")
      return
    }
    #expect(status.code == .unavailable)
  }

  @Test func callerThreading_aShortDeadline_firesWhileAnotherCallerDrives() throws {
    let arrived = DispatchSemaphore(value: 0)
    let server = try Self.startServer(onSilentCall: { arrived.signal() })
    defer { Self.stop(server) }
    let client = try Self.client(
      port: try #require(server.localAddress?.port), threading: .caller)
    let long = GRPCResultWaiterBox()
    let longReturned = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
      let result = client.call(path: "/test.Echo/Silent", request: [1], timeout: .seconds(30))
      long.value.withLock { $0 = result }
      longReturned.signal()
    }
    // The long call is in flight (the server holds it) and its caller drives the loop.
    #expect(arrived.wait(timeout: .now() + 10) == .success)
    let short = client.call(path: "/test.Echo/Silent", request: [2], timeout: .milliseconds(200))
    // Had the short call waited for the long one, the long one would have returned first.
    let longWhenShortReturned = long.value.withLock { $0 }
    guard case .failure(let status) = short else {
      Issue.record("silent call succeeded")
      return
    }
    #expect(status.code == .deadlineExceeded)
    #expect(longWhenShortReturned == nil)
    // Positive control: the long call does return into the box, once the client shuts down.
    client.shutdown()
    #expect(longReturned.wait(timeout: .now() + 10) == .success)
    #expect(long.value.withLock { $0 }.map { (try? $0.get()) == nil } == true)
  }

  @Test(arguments: threadings)
  func callAfterShutdown_failsWithUnavailable(threading: GRPCUnaryClient.Threading) throws {
    let client = try Self.client(port: 9, threading: threading)
    client.shutdown()
    let result = client.call(path: "/x/y", request: [], timeout: .seconds(1))
    #expect(result == .failure(GRPCStatus(.unavailable, "client is shut down")))
  }

  @Test func tlsClient_toACleartextServer_failsTheHandshakeAsUnavailable() throws {
    let server = try Self.startServer()
    defer { Self.stop(server) }
    let port = try #require(server.localAddress?.port)
    var configuration = GRPCUnaryClient.Configuration(host: "127.0.0.1", port: port)
    configuration.tls = TLSConfiguration()
    let client = try GRPCUnaryClient(configuration: configuration, logger: Logger(label: "client"))
    defer { client.shutdown() }
    guard
      case .failure(let status) = client.call(
        path: "/test.Echo/Echo", request: [1], timeout: .seconds(5))
    else {
      Issue.record("a TLS call to a cleartext server succeeded")
      return
    }
    #expect(status.code == .unavailable)
    #expect(
      status.message.hasPrefix("cannot connect to 127.0.0.1:\(port): TLS handshake failed: "),
      "\(status.message)")
  }

  @Test func tlsClient_withAMissingCAFile_failsAtConstruction() {
    var configuration = GRPCUnaryClient.Configuration(host: "127.0.0.1", port: 4317)
    configuration.tls = TLSConfiguration(caFile: "/nonexistent/ca.pem")
    #expect(throws: TLSError.self) {
      try GRPCUnaryClient(configuration: configuration, logger: Logger(label: "client"))
    }
  }
}

/// Where a call made on another thread leaves its result.
private final class GRPCResultWaiterBox: Sendable {
  let value = Mutex<Result<[UInt8], GRPCStatus>?>(nil)
}
