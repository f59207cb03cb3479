import Dispatch
import Foundation
import Logging
import Synchronization
import Testing

@testable import Transport

/// The TLS handshake of a client `HTTP2Connection` against a Python `ssl` server with a CA made
/// for the test: what makes it fail, and its deadline. (Streams over TLS are exercised against
/// a grpcio server by the OTLP/gRPC exporter tests.)
@Suite("HTTP/2 client connect over TLS")
struct HTTP2ConnectionTLSTests {
  /// Connects from a fresh loop and returns the failure, nil when it connected (the
  /// connection is then closed at once).
  func connect(
    port: Int, tls configuration: TLSConfiguration, serverName: String = "127.0.0.1",
    timeoutNanoseconds: UInt64 = 5_000_000_000
  ) throws -> HTTP2ConnectError? {
    let context = try TLSContext.shared(for: configuration)
    let address = try SocketAddress.resolve(host: "127.0.0.1", port: port)
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    let loop = group.loops[0]
    let outcome = Mutex<HTTP2ConnectError??>(nil)
    let done = DispatchSemaphore(value: 0)
    loop.execute {
      HTTP2Connection.connect(
        to: address, on: loop, tls: (context: context, serverName: serverName),
        timeoutNanoseconds: timeoutNanoseconds, logger: Logger(label: "test")
      ) { result in
        switch result {
        case .success(let connection):
          connection.close()
          outcome.withLock { $0 = .some(nil) }
        case .failure(let error):
          outcome.withLock { $0 = error }
        }
        done.signal()
      }
    }
    #expect(done.wait(timeout: .now() + 15) == .success)
    return try #require(outcome.withLock { $0 })
  }

  func withServer(
    alpn: [String], _ body: (TLSTestCertificates, TLSTestServer) throws -> Void
  ) throws {
    let certificates = try TLSTestCertificates()
    defer { certificates.remove() }
    let server = try TLSTestServer(certificates: certificates, alpn: alpn)
    defer { server.stop() }
    try body(certificates, server)
  }

  @Test func serverWithoutH2InALPN_failsTheConnect() throws {
    try withServer(alpn: ["http/1.1"]) { certificates, server throws in
      let error = try connect(
        port: server.port, tls: TLSConfiguration(caFile: certificates.caFile, alpnProtocols: ["h2"]))
      #expect(
        error == .tls(TLSError(.handshake, "the server did not agree to h2 by ALPN (agreed: none)")))
    }
  }

  @Test func untrustedCertificate_failsWithTheVerifyResult() throws {
    try withServer(alpn: ["h2"]) { _, server throws in
      let result = try connect(port: server.port, tls: TLSConfiguration(alpnProtocols: ["h2"]))
      guard case .tls(let error)? = result else {
        Issue.record("expected a TLS failure, got \(String(describing: result))")
        return
      }
      #expect(error.reason == .certificateVerification)
      #expect(error.message.hasSuffix("self-signed certificate in certificate chain"))
    }
  }

  @Test func wrongName_failsWithHostnameMismatch() throws {
    try withServer(alpn: ["h2"]) { certificates, server throws in
      let result = try connect(
        port: server.port,
        tls: TLSConfiguration(caFile: certificates.caFile, alpnProtocols: ["h2"]),
        serverName: "collector.example")
      guard case .tls(let error)? = result else {
        Issue.record("expected a TLS failure, got \(String(describing: result))")
        return
      }
      #expect(error.reason == .certificateVerification)
      #expect(error.message.hasSuffix("hostname mismatch"), "\(error.message)")
    }
  }

  @Test func silentServer_failsTheHandshakeAtTheDeadline() throws {
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    // Listening but never accepting: TCP connects, the ClientHello is never answered.
    let listener = try TCPListener(
      address: try SocketAddress.resolve(host: "127.0.0.1", port: 0), backlog: 4,
      loop: group.loops[0], logger: Logger(label: "test"), onAccept: { _ in })
    let port = try listener.localAddress().port
    defer { listener.discard() }
    // Only the connect's own timer fails a handshake with ETIMEDOUT.
    let result = try connect(
      port: port, tls: TLSConfiguration(alpnProtocols: ["h2"]),
      timeoutNanoseconds: 300_000_000)
    #expect(result == .system(SystemError(function: "TLS handshake", errno: ETIMEDOUT)))
  }
}
