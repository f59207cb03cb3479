import GRPC
import Logging
import Synchronization
import Testing
import Transport

/// How the unary client turns its host into addresses: at each new connection, never at
/// construction, every address in order.
@Suite struct GRPCUnaryClientResolutionTests {
  /// The lookups a resolver was asked for, and the answers it gives in turn (the last one
  /// repeats).
  final class ScriptedResolver: Sendable {
    private let state: Mutex<(asked: [String], answers: [[SocketAddress]])>

    init(_ answers: [[SocketAddress]]) {
      state = Mutex((asked: [], answers: answers))
    }

    var asked: [String] { state.withLock { $0.asked } }

    func resolve(host: String, port: Int) throws -> [SocketAddress] {
      state.withLock { state in
        state.asked.append("\(host):\(port)")
        return state.answers.count > 1 ? state.answers.removeFirst() : state.answers[0]
      }
    }
  }

  static func client(
    host: String = "collector.test", port: Int = 4317,
    threading: GRPCUnaryClient.Threading,
    resolve: @escaping @Sendable (String, Int) throws -> [SocketAddress]
  ) throws -> GRPCUnaryClient {
    var configuration = GRPCUnaryClient.Configuration(host: host, port: port)
    configuration.connectTimeout = .seconds(5)
    configuration.threading = threading
    configuration.resolve = resolve
    return try GRPCUnaryClient(configuration: configuration, logger: Logger(label: "client"))
  }

  /// A loopback port nothing listens on (a server's, stopped).
  static func closedPort() throws -> Int {
    let probe = try GRPCUnaryClientTests.startServer()
    let port = try #require(probe.localAddress?.port)
    GRPCUnaryClientTests.stop(probe)
    return port
  }

  @Test(arguments: GRPCUnaryClientTests.threadings)
  func call_triesEachAddressInOrder_untilOneConnects(
    threading: GRPCUnaryClient.Threading
  ) throws {
    let server = try GRPCUnaryClientTests.startServer()
    defer { GRPCUnaryClientTests.stop(server) }
    let port = try #require(server.localAddress?.port)
    // As "localhost" resolving to ::1 then 127.0.0.1 with a server on IPv4 only (this
    // machine's /etc/hosts lists 127.0.0.1 alone, so the list is given here), then a closed
    // IPv4 port before the listening one.
    let addresses = [
      try SocketAddress.resolve(host: "::1", port: port),
      try SocketAddress.resolve(host: "127.0.0.1", port: try Self.closedPort()),
      try SocketAddress.resolve(host: "127.0.0.1", port: port),
    ]
    let resolver = ScriptedResolver([addresses])
    let client = try Self.client(threading: threading, resolve: resolver.resolve)
    defer { client.shutdown() }
    #expect(
      try client.call(path: "/test.Echo/Echo", request: [7], timeout: .seconds(30)).get() == [7])
    #expect(resolver.asked == ["collector.test:4317"])
  }

  @Test(arguments: GRPCUnaryClientTests.threadings)
  func call_whenEveryAddressRefuses_isUnavailableNamingEachAddress(
    threading: GRPCUnaryClient.Threading
  ) throws {
    let first = try SocketAddress.resolve(host: "127.0.0.1", port: try Self.closedPort())
    let second = try SocketAddress.resolve(host: "127.0.0.1", port: try Self.closedPort())
    let client = try Self.client(threading: threading) { _, _ in [first, second] }
    defer { client.shutdown() }
    guard
      case .failure(let status) = client.call(
        path: "/test.Echo/Echo", request: [1], timeout: .seconds(30))
    else {
      Issue.record("a call to closed ports succeeded")
      return
    }
    #expect(status.code == .unavailable)
    #expect(status.message.hasPrefix("cannot connect to \(first): "), "\(status.message)")
    #expect(status.message.contains("; \(second): "), "\(status.message)")
    #expect(!GRPCUnaryClient.isUnresolved(status))
  }

  @Test(arguments: GRPCUnaryClientTests.threadings)
  func reconnect_resolvesTheNameAgain(threading: GRPCUnaryClient.Threading) throws {
    let server = try GRPCUnaryClientTests.startServer()
    defer { GRPCUnaryClientTests.stop(server) }
    let port = try #require(server.localAddress?.port)
    // The first lookup names a closed port (the collector's old address), the next one the
    // server: only a second lookup can reach it.
    let resolver = ScriptedResolver([
      [try SocketAddress.resolve(host: "127.0.0.1", port: try Self.closedPort())],
      [try SocketAddress.resolve(host: "127.0.0.1", port: port)],
    ])
    let client = try Self.client(threading: threading, resolve: resolver.resolve)
    defer { client.shutdown() }
    let refused = client.call(path: "/test.Echo/Echo", request: [1], timeout: .seconds(30))
    #expect((try? refused.get()) == nil)
    #expect(
      try client.call(path: "/test.Echo/Echo", request: [2], timeout: .seconds(30)).get() == [2])
    #expect(resolver.asked.count == 2)
  }

  @Test(arguments: GRPCUnaryClientTests.threadings)
  func unresolvableName_failsCallsAsUnresolved_notTheClient(
    threading: GRPCUnaryClient.Threading
  ) throws {
    // RFC 6761: names under .invalid never resolve. The system resolver is used as in production.
    var configuration = GRPCUnaryClient.Configuration(host: "collector.invalid", port: 4317)
    configuration.threading = threading
    let client = try GRPCUnaryClient(configuration: configuration, logger: Logger(label: "client"))
    defer { client.shutdown() }
    for _ in 0..<2 {
      guard
        case .failure(let status) = client.call(
          path: "/test.Echo/Echo", request: [1], timeout: .seconds(60))
      else {
        Issue.record("a call to collector.invalid succeeded")
        return
      }
      #expect(GRPCUnaryClient.isUnresolved(status), "\(status)")
      #expect(status.message.hasPrefix("cannot resolve collector.invalid: "), "\(status.message)")
    }
  }

  @Test func aResolverWithNoAddresses_failsCallsAsUnresolved() throws {
    let client = try Self.client(threading: .caller) { _, _ in [] }
    defer { client.shutdown() }
    let result = client.call(path: "/test.Echo/Echo", request: [1], timeout: .seconds(30))
    #expect(
      result == .failure(GRPCStatus(.unavailable, "cannot resolve collector.test: no addresses")))
  }
}
