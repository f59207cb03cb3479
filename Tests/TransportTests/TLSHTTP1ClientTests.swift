import Foundation
import Glibc
import Testing

@testable import Transport

/// `HTTP1Client` over TLS against a Python `ssl` server with a CA made for the test.
@Suite("HTTPS with HTTP1Client against a local TLS server")
struct TLSHTTP1ClientTests {
  var deadline: ContinuousClock.Instant { .now.advanced(by: .seconds(10)) }

  /// Runs `body` with fresh certificates and a server, and removes both afterwards.
  func withServer(
    alpn: [String] = ["http/1.1"], requireClientCertificate: Bool = false,
    _ body: (TLSTestCertificates, TLSTestServer) throws -> Void
  ) throws {
    let certificates = try TLSTestCertificates()
    defer { certificates.remove() }
    let server = try TLSTestServer(
      certificates: certificates, alpn: alpn,
      clientCA: requireClientCertificate ? certificates.caFile : nil)
    defer { server.stop() }
    try body(certificates, server)
  }

  @Test func request_withTheCAFile_succeedsAndKeepsTheConnection() throws {
    try withServer { certificates, server throws in
      let client = HTTP1Client(
        host: "127.0.0.1", port: server.port,
        tls: TLSConfiguration(caFile: certificates.caFile, alpnProtocols: ["http/1.1"]))
      let get = try client.request(method: "GET", path: "/", deadline: deadline)
      #expect(get.status == 200)
      #expect(String(decoding: get.body, as: UTF8.self) == "hello over TLS")
      #expect(get.header("x-alpn") == "http/1.1")
      #expect(client.negotiatedALPN == "http/1.1")
      let body = [UInt8](repeating: 7, count: 100_000)
      let post = try client.request(method: "POST", path: "/", body: body, deadline: deadline)
      #expect(String(decoding: post.body, as: UTF8.self) == "100000")
      #expect(client.isConnected)
      client.close()
    }
  }

  @Test func request_toLocalhostByName_matchesTheDNSSubjectAltName() throws {
    try withServer { certificates, server throws in
      let client = HTTP1Client(
        host: "localhost", port: server.port, tls: TLSConfiguration(caFile: certificates.caFile))
      #expect(try client.request(method: "GET", path: "/", deadline: deadline).status == 200)
    }
  }

  @Test func request_withSystemRootsOnly_failsWithTheVerifyResult() throws {
    try withServer { _, server throws in
      let client = HTTP1Client(host: "127.0.0.1", port: server.port, tls: TLSConfiguration())
      let error = try #require(throws: HTTP1ClientError.self) {
        try client.request(method: "GET", path: "/", deadline: deadline)
      }
      #expect(error.reason == .tls)
      #expect(
        error.message.hasSuffix(
          "certificate verify failed: self-signed certificate in certificate chain"),
        "\(error.message)")
      #expect(!client.isConnected)
    }
  }

  @Test func request_whenTheNameDoesNotMatch_failsWithHostnameMismatch() throws {
    try withServer { certificates, server throws in
      let client = HTTP1Client(
        host: "127.0.0.1", port: server.port,
        tls: TLSConfiguration(caFile: certificates.caFile, serverName: "collector.example"))
      let error = try #require(throws: HTTP1ClientError.self) {
        try client.request(method: "GET", path: "/", deadline: deadline)
      }
      #expect(error.reason == .tls)
      #expect(error.message.hasSuffix("certificate verify failed: hostname mismatch"))
    }
  }

  @Test func request_withoutVerification_acceptsTheUnknownCA() throws {
    try withServer { _, server throws in
      let client = HTTP1Client(
        host: "127.0.0.1", port: server.port, tls: TLSConfiguration(verifyPeer: false))
      #expect(try client.request(method: "GET", path: "/", deadline: deadline).status == 200)
    }
  }

  @Test func request_toAServerThatWantsAClientCertificate_needsOne() throws {
    try withServer(requireClientCertificate: true) { certificates, server throws in
      let anonymous = HTTP1Client(
        host: "127.0.0.1", port: server.port, tls: TLSConfiguration(caFile: certificates.caFile))
      #expect(throws: HTTP1ClientError.self) {
        try anonymous.request(method: "GET", path: "/", deadline: deadline)
      }
      let mutual = HTTP1Client(
        host: "127.0.0.1", port: server.port,
        tls: TLSConfiguration(
          caFile: certificates.caFile, clientCertificateFile: certificates.clientCertificateFile,
          clientKeyFile: certificates.clientKeyFile))
      #expect(try mutual.request(method: "GET", path: "/", deadline: deadline).status == 200)
    }
  }

  @Test func request_whenTheServerNeverAnswersTheHandshake_timesOutByTheDeadline() throws {
    // A listening socket nobody accepts on: TCP connects (backlog), TLS never answers.
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { _ = Glibc.close(listener) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    try withUnsafeMutablePointer(to: &address) { pointer in
      try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
        guard bind(listener, raw, length) == 0, listen(listener, 8) == 0,
          getsockname(listener, raw, &length) == 0
        else { throw TLSTestSetupError("cannot listen") }
      }
    }
    let port = Int(UInt16(bigEndian: address.sin_port))
    let client = HTTP1Client(host: "127.0.0.1", port: port, tls: TLSConfiguration())
    let start = ContinuousClock.now
    let error = try #require(throws: HTTP1ClientError.self) {
      try client.request(method: "GET", path: "/", deadline: .now.advanced(by: .milliseconds(300)))
    }
    #expect(error.reason == .timeout)
    #expect(ContinuousClock.now - start < .seconds(2))
    #expect(!client.isConnected)
  }
}
