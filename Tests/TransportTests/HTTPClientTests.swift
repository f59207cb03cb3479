import Foundation
import Glibc
import Testing

@testable import Transport

/// `HTTPClient` (libcurl) against real peers: a plain HTTP/1.1 peer (also serving as a proxy)
/// and a Python `ssl` server with a CA made for the test.
///
/// Proxies are passed to each client explicitly (`proxy:`), never through this process's
/// environment, which every test running in parallel shares; how the environment maps to a
/// proxy is tested on `HTTPProxyConfiguration(environment:)` with a dictionary.
@Suite("HTTPClient against local HTTP, HTTPS and proxy peers")
struct HTTPClientTests {
  var deadline: ContinuousClock.Instant { .now.advanced(by: .seconds(10)) }

  // MARK: - Plain HTTP

  @Test func request_sendsTheHeadersAndBody_andReturnsTheResponseHeaders() throws {
    let peer = try TestHTTPPeer(headers: [("Retry-After", "7"), ("X-Trace", "a b")])
    defer { peer.stop() }
    let client = HTTPClient(host: "127.0.0.1", port: peer.port, proxy: .direct)
    let response = try client.request(
      method: "POST", path: "/v1/traces",
      headers: [("Content-Type", "application/x-protobuf"), ("x-api-key", "secret")],
      body: Array("spans".utf8), deadline: deadline)
    #expect(response.status == 200)
    #expect(response.header("retry-after") == "7")
    #expect(response.header("X-TRACE") == "a b")
    #expect(String(decoding: response.body, as: UTF8.self) == "connection=1")
    let request = try #require(peer.requests.first)
    #expect(request.requestLine == "POST /v1/traces HTTP/1.1")
    #expect(request.headers["host"] == "127.0.0.1:\(peer.port)")
    #expect(request.headers["content-type"] == "application/x-protobuf")
    #expect(request.headers["x-api-key"] == "secret")
    #expect(request.headers["content-length"] == "5")
    #expect(request.headers["expect"] == nil)
    #expect(request.body == Array("spans".utf8))
  }

  @Test func twoRequests_goOverOneKeptAliveConnection_untilClosed() throws {
    let peer = try TestHTTPPeer()
    defer { peer.stop() }
    let client = HTTPClient(host: "127.0.0.1", port: peer.port, proxy: .direct)
    let large = [UInt8](repeating: 7, count: 2_000_000)
    for body in [Array("first".utf8), large] {
      let response = try client.request(
        method: "POST", path: "/v1/traces", body: body, deadline: deadline)
      #expect(String(decoding: response.body, as: UTF8.self) == "connection=1")
    }
    client.close()
    let get = try client.request(method: "GET", path: "/after-close", deadline: deadline)
    #expect(String(decoding: get.body, as: UTF8.self) == "connection=2")
    #expect(peer.requests.map(\.requestLine) == [
      "POST /v1/traces HTTP/1.1", "POST /v1/traces HTTP/1.1", "GET /after-close HTTP/1.1",
    ])
    #expect(peer.requests[1].body == large)
    #expect(peer.connections == 2)
  }

  @Test(.enabled(if: TestHTTPPeer.hasIPv6Loopback, "needs an IPv6 loopback address"))
  func request_toANameWithSeveralAddresses_triesThemUntilOneAccepts() throws {
    // libcurl resolves "localhost" to 127.0.0.1 and ::1 itself; only ::1 listens here, so a
    // client that tried the first address only would fail with `connect`.
    let peer = try TestHTTPPeer(address: "::1")
    defer { peer.stop() }
    let client = HTTPClient(host: "localhost", port: peer.port, proxy: .direct)
    let response = try client.request(method: "GET", path: "/", deadline: deadline)
    #expect(response.status == 200)
    #expect(peer.requests.count == 1)
  }

  @Test func request_toAPortNobodyListensOn_failsWithConnect() throws {
    let port = try UnlistenedPort()
    defer { port.close() }
    let client = HTTPClient(host: "127.0.0.1", port: port.number, proxy: .direct)
    let error = try #require(throws: HTTPClientError.self) {
      try client.request(method: "GET", path: "/", deadline: deadline)
    }
    #expect(error.reason == .connect, "\(error)")
  }

  @Test func request_toANameThatDoesNotResolve_failsWithResolve() throws {
    // RFC 6761 reserves .invalid: no resolver answers it.
    let client = HTTPClient(host: "collector.invalid", port: 4318, proxy: .direct)
    let error = try #require(throws: HTTPClientError.self) {
      try client.request(method: "GET", path: "/", deadline: deadline)
    }
    #expect(error.reason == .resolve, "\(error)")
  }

  @Test func request_whenTheServerNeverAnswers_timesOutByTheDeadline() throws {
    // A listening socket nobody accepts on: TCP connects (backlog), no answer ever comes.
    let listener = try SilentListener()
    defer { listener.close() }
    for tls in [nil, TLSConfiguration()] {
      let client = HTTPClient(host: "127.0.0.1", port: listener.port, tls: tls, proxy: .direct)
      let error = try #require(throws: HTTPClientError.self) {
        try client.request(
          method: "GET", path: "/", deadline: .now.advanced(by: .milliseconds(300)))
      }
      #expect(error.reason == .timeout, "\(error)")
    }
  }

  @Test func cancellation_endsARequestInFlight_andRefusesLaterOnes() throws {
    let listener = try SilentListener()
    defer { listener.close() }
    let cancellation = HTTPClientCancellation()
    let outcome = CancelledRequestOutcome()
    let port = listener.port
    Thread {
      let client = HTTPClient(
        host: "127.0.0.1", port: port, proxy: .direct, cancellation: cancellation)
      // An hour's deadline and a peer that never answers: only the cancellation can end it.
      let deadline = ContinuousClock.now.advanced(by: .seconds(3600))
      for _ in 0..<2 {
        do throws(HTTPClientError) {
          _ = try client.request(method: "GET", path: "/", deadline: deadline)
          outcome.record(nil)
        } catch {
          outcome.record(error)
        }
      }
    }.start()
    let connection = listener.acceptConnection()
    defer { _ = Glibc.close(connection) }
    cancellation.cancel()
    let errors = try #require(outcome.wait(for: 2))
    #expect(errors.map(\.?.reason) == [.cancelled, .cancelled], "\(errors)")
  }

  @Test func request_afterTheDeadline_failsWithoutSending() throws {
    let peer = try TestHTTPPeer()
    defer { peer.stop() }
    let client = HTTPClient(host: "127.0.0.1", port: peer.port, proxy: .direct)
    let error = try #require(throws: HTTPClientError.self) {
      try client.request(method: "GET", path: "/", deadline: .now)
    }
    #expect(error.reason == .timeout)
    // Positive control: the same client reaches the peer with time left.
    #expect(try client.request(method: "GET", path: "/", deadline: deadline).status == 200)
    #expect(peer.requests.count == 1)
  }

  @Test func request_whoseResponseBodyExceedsTheLimit_failsAsMalformed() throws {
    let atLimit = try TestHTTPPeer(bodyBytes: HTTPClient.maxBodyBytes)
    defer { atLimit.stop() }
    let client = HTTPClient(host: "127.0.0.1", port: atLimit.port, proxy: .direct)
    let response = try client.request(method: "GET", path: "/", deadline: deadline)
    #expect(response.body.count == HTTPClient.maxBodyBytes)

    let over = try TestHTTPPeer(bodyBytes: HTTPClient.maxBodyBytes + 1)
    defer { over.stop() }
    let refusing = HTTPClient(host: "127.0.0.1", port: over.port, proxy: .direct)
    let error = try #require(throws: HTTPClientError.self) {
      try refusing.request(method: "GET", path: "/", deadline: deadline)
    }
    #expect(error.reason == .malformedResponse, "\(error)")
  }

  // MARK: - Proxy

  @Test func request_throughAnHTTPProxy_usesTheAbsoluteForm_andNoProxyBypassesIt() throws {
    let proxy = try TestHTTPPeer()
    defer { proxy.stop() }
    let origin = try TestHTTPPeer()
    defer { origin.stop() }
    let proxyURL = "http://127.0.0.1:\(proxy.port)"

    // The origin's name does not resolve: only the proxy may look it up.
    let viaProxy = HTTPClient(
      host: "collector.invalid", port: 4318, proxy: .init(httpProxy: proxyURL))
    let response = try viaProxy.request(
      method: "POST", path: "/v1/traces", body: Array("x".utf8), deadline: deadline)
    #expect(response.status == 200)
    #expect(proxy.requests.map(\.requestLine) == [
      "POST http://collector.invalid:4318/v1/traces HTTP/1.1"
    ])
    #expect(proxy.requests.first?.headers["host"] == "collector.invalid:4318")

    // The same proxy for every host but the origin's.
    let bypassing = HTTPClient(
      host: "127.0.0.1", port: origin.port,
      proxy: .init(httpProxy: proxyURL, noProxy: "localhost,127.0.0.1"))
    let bypassed = try bypassing.request(method: "POST", path: "/v1/traces", deadline: deadline)
    #expect(bypassed.status == 200)
    #expect(origin.requests.map(\.requestLine) == ["POST /v1/traces HTTP/1.1"])
    #expect(proxy.requests.count == 1)
  }

  @Test func request_withAnHTTPSProxyOnly_sendsPlainHTTPDirect() throws {
    let proxy = try TestHTTPPeer()
    defer { proxy.stop() }
    let origin = try TestHTTPPeer()
    defer { origin.stop() }
    let client = HTTPClient(
      host: "127.0.0.1", port: origin.port,
      proxy: .init(httpsProxy: "http://127.0.0.1:\(proxy.port)"))
    #expect(try client.request(method: "GET", path: "/", deadline: deadline).status == 200)
    #expect(origin.requests.count == 1)
    #expect(proxy.requests.isEmpty)
  }

  @Test func request_toAnHTTPSOrigin_tunnelsThroughTheProxyWithConnect() throws {
    try withServer { certificates, server throws in
      let proxy = try TestHTTPPeer()
      defer { proxy.stop() }
      let client = HTTPClient(
        host: "localhost", port: server.port, tls: TLSConfiguration(caFile: certificates.caFile),
        proxy: .init(httpProxy: "http://127.0.0.1:1", httpsProxy: "http://127.0.0.1:\(proxy.port)"))
      let response = try client.request(method: "GET", path: "/", deadline: deadline)
      #expect(String(decoding: response.body, as: UTF8.self) == "hello over TLS")
      // The proxy's own "200 Connection established" head is not the response's.
      #expect(response.header("x-alpn") == "http/1.1")
      #expect(proxy.requests.map(\.requestLine) == ["CONNECT localhost:\(server.port) HTTP/1.1"])
    }
  }

  @Test func proxyConfiguration_fromTheEnvironment_prefersLowerCaseAndFallsBackToAllProxy() {
    let both = HTTPProxyConfiguration(environment: [
      "http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:1",
      "HTTPS_PROXY": "http://secure:2", "NO_PROXY": ".svc,10.0.0.0/8",
    ].lookup)
    #expect(both == .init(
      httpProxy: "http://lower:1", httpsProxy: "http://secure:2", noProxy: ".svc,10.0.0.0/8"))

    let upperOnly = HTTPProxyConfiguration(environment: ["HTTP_PROXY": "http://upper:1"].lookup)
    #expect(upperOnly == .init(httpProxy: "http://upper:1"))

    let all = HTTPProxyConfiguration(environment: [
      "ALL_PROXY": "http://all:3", "https_proxy": "", "no_proxy": "",
    ].lookup)
    #expect(all == .init(httpProxy: "http://all:3", httpsProxy: "http://all:3"))

    #expect(HTTPProxyConfiguration(environment: [String: String]().lookup) == .direct)
  }

  // MARK: - TLS

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
      let client = HTTPClient(
        host: "127.0.0.1", port: server.port, tls: TLSConfiguration(caFile: certificates.caFile),
        proxy: .direct)
      let get = try client.request(method: "GET", path: "/", deadline: deadline)
      #expect(get.status == 200)
      #expect(String(decoding: get.body, as: UTF8.self) == "hello over TLS")
      #expect(get.header("x-alpn") == "http/1.1")
      let body = [UInt8](repeating: 7, count: 100_000)
      let post = try client.request(method: "POST", path: "/", body: body, deadline: deadline)
      #expect(String(decoding: post.body, as: UTF8.self) == "100000")
      // One TCP connection: the server saw the same client port twice.
      #expect(get.header("x-client-port") != nil)
      #expect(post.header("x-client-port") == get.header("x-client-port"))
      client.close()
    }
  }

  @Test func request_toLocalhostByName_matchesTheDNSSubjectAltName() throws {
    try withServer { certificates, server throws in
      let client = HTTPClient(
        host: "localhost", port: server.port, tls: TLSConfiguration(caFile: certificates.caFile),
        proxy: .direct)
      #expect(try client.request(method: "GET", path: "/", deadline: deadline).status == 200)
    }
  }

  @Test func request_withSystemRootsOnly_failsWithTheVerifyResult() throws {
    try withServer { _, server throws in
      let client = HTTPClient(
        host: "127.0.0.1", port: server.port, tls: TLSConfiguration(), proxy: .direct)
      let error = try #require(throws: HTTPClientError.self) {
        try client.request(method: "GET", path: "/", deadline: deadline)
      }
      #expect(error.reason == .tls)
      #expect(
        error.message.hasSuffix(
          "certificate verify failed: self-signed certificate in certificate chain"),
        "\(error.message)")
    }
  }

  @Test func request_whenTheNameDoesNotMatch_failsWithHostnameMismatch() throws {
    try withServer { certificates, server throws in
      let client = HTTPClient(
        host: "127.0.0.1", port: server.port,
        tls: TLSConfiguration(caFile: certificates.caFile, serverName: "collector.example"),
        proxy: .direct)
      let error = try #require(throws: HTTPClientError.self) {
        try client.request(method: "GET", path: "/", deadline: deadline)
      }
      #expect(error.reason == .tls)
      #expect(
        error.message.hasSuffix("certificate verify failed: hostname mismatch"), "\(error.message)")
    }
  }

  @Test func request_withoutVerification_acceptsTheUnknownCA() throws {
    try withServer { _, server throws in
      let client = HTTPClient(
        host: "127.0.0.1", port: server.port, tls: TLSConfiguration(verifyPeer: false),
        proxy: .direct)
      #expect(try client.request(method: "GET", path: "/", deadline: deadline).status == 200)
    }
  }

  @Test func request_toAServerThatWantsAClientCertificate_needsOne() throws {
    try withServer(requireClientCertificate: true) { certificates, server throws in
      let anonymous = HTTPClient(
        host: "127.0.0.1", port: server.port, tls: TLSConfiguration(caFile: certificates.caFile),
        proxy: .direct)
      #expect(throws: HTTPClientError.self) {
        try anonymous.request(method: "GET", path: "/", deadline: deadline)
      }
      let mutual = HTTPClient(
        host: "127.0.0.1", port: server.port,
        tls: TLSConfiguration(
          caFile: certificates.caFile, clientCertificateFile: certificates.clientCertificateFile,
          clientKeyFile: certificates.clientKeyFile),
        proxy: .direct)
      #expect(try mutual.request(method: "GET", path: "/", deadline: deadline).status == 200)
    }
  }
}

extension Dictionary where Key == String, Value == String {
  /// This dictionary as an environment lookup.
  fileprivate var lookup: (String) -> String? { { self[$0] } }
}

/// The errors of requests made on another thread (nil for a success), for a test to wait on.
private final class CancelledRequestOutcome: @unchecked Sendable {
  // @unchecked: `errors` is read and written with `condition` locked.
  private let condition = NSCondition()
  private var errors: [HTTPClientError?] = []

  func record(_ error: HTTPClientError?) {
    condition.lock()
    errors.append(error)
    condition.broadcast()
    condition.unlock()
  }

  /// The first `count` outcomes; nil if they are not in within 30 s of real time (a safety net
  /// against a hung test, not a timing assertion).
  func wait(for count: Int) -> [HTTPClientError?]? {
    let giveUp = Date(timeIntervalSinceNow: 30)
    condition.lock()
    defer { condition.unlock() }
    while errors.count < count {
      guard condition.wait(until: giveUp) else { return nil }
    }
    return errors
  }
}
