import Glibc
import Synchronization
import Testing

@testable import Transport

/// A blocking loopback client that sends raw bytes and reads until the server closes.
private struct RawClient {
  let fd: Int32

  init(port: Int) throws {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    if result != 0 {
      let code = errno
      close(fd)
      throw SystemError(function: "connect", errno: code)
    }
  }

  /// Sends each `send` as its own segment at once (no Nagle coalescing).
  func disableNagle() {
    var on: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
  }

  func send(_ text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let written = bytes[offset...].withUnsafeBytes {
        Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
      }
      guard written > 0 else { return }
      offset += written
    }
  }

  /// Reads until end of stream (or the 5 s receive timeout) and closes.
  func readAll() -> String {
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if count <= 0 { break }
      received.append(contentsOf: buffer[..<count])
    }
    close(fd)
    return String(decoding: received, as: UTF8.self)
  }

  static func exchange(port: Int, _ request: String) throws -> String {
    let client = try RawClient(port: port)
    client.send(request)
    return client.readAll()
  }
}

@Suite("HTTP/1.1 admin server over real sockets")
struct HTTP1ServerTests {
  private func withServer(
    _ configuration: HTTP1Server.Configuration = HTTP1Server.Configuration(
      host: "127.0.0.1", port: 0),
    handler: HTTP1Server.Handler? = nil,
    actions: [String: HTTP1Server.Action] = [:],
    _ body: (HTTP1Server, Int) throws -> Void
  ) throws {
    let server = HTTP1Server(
      configuration: configuration, actions: actions,
      handler: handler
        ?? HTTP1Server.routes([
          "/health": { _ in .text("ok\n") },
          "/metrics": { request in
            HTTP1ServerResponse(
              contentType: "text/plain; version=0.0.4",
              body: "m 1\nquery \(request.query ?? "-")\n")
          },
        ]))
    let address = try server.start()
    defer { server.stop() }
    try body(server, address.port)
  }

  @Test func get_answersWithStatusContentLengthAndConnectionClose() throws {
    try withServer { _, port in
      let response = try RawClient.exchange(
        port: port, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
      #expect(
        response
          == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
          + "Connection: close\r\n\r\nok\n")
    }
  }

  @Test func head_sendsTheHeadersWithTheBodyLengthButNoBody() throws {
    try withServer { _, port in
      let response = try RawClient.exchange(
        port: port, "HEAD /metrics?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
      #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
      #expect(response.contains("Content-Length: 14\r\n"))  // "m 1\nquery x=1\n"
      #expect(response.hasSuffix("\r\n\r\n"))
    }
  }

  @Test func handler_seesPathAndQuery() throws {
    try withServer { _, port in
      let response = try RawClient.exchange(
        port: port, "GET /metrics?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
      #expect(response.hasSuffix("\r\n\r\nm 1\nquery x=1\n"))
    }
  }

  @Test func unknownPath_is404() throws {
    try withServer { _, port in
      let response = try RawClient.exchange(port: port, "GET /nope HTTP/1.0\r\n\r\n")
      #expect(response.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
    }
  }

  @Test func postWithABody_is405WithAllowAndTheAnswerArrivesWhole() throws {
    try withServer { _, port in
      let body = String(repeating: "x", count: 100_000)
      let response = try RawClient.exchange(
        port: port,
        "POST /health HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
      #expect(response.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
      #expect(response.contains("Allow: GET, HEAD\r\n"))
      #expect(response.hasSuffix("method not allowed\n"))
    }
  }

  @Test func postAction_isAnsweredWhenItsWorkElsewhereReplies_whileGETsAreServed() throws {
    // The action's reply waits for `release`: meanwhile the loop answers other requests.
    let release = ConditionFlag()
    let action: HTTP1Server.Action = { request, reply in
      let path = request.path
      Thread {
        release.wait()
        reply(HTTP1ServerResponse(contentType: "application/json", body: "{\"path\":\"\(path)\"}"))
      }.detach()
    }
    try withServer(actions: ["/reload": action]) { _, port in
      let post = try RawClient(port: port)
      post.send("POST /reload HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
      let health = try RawClient.exchange(port: port, "GET /health HTTP/1.1\r\nHost: a\r\n\r\n")
      #expect(health.hasSuffix("\r\n\r\nok\n"))
      release.set()
      let response = post.readAll()
      #expect(response.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"))
      #expect(response.hasSuffix("{\"path\":\"/reload\"}"))
    }
  }

  @Test func actionPath_takesOnlyPOST_andOtherPathsRefusePOST() throws {
    let action: HTTP1Server.Action = { _, reply in reply(.text("done\n")) }
    try withServer(actions: ["/reload": action]) { _, port in
      let get = try RawClient.exchange(port: port, "GET /reload HTTP/1.1\r\nHost: a\r\n\r\n")
      #expect(get.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
      #expect(get.contains("Allow: POST\r\n"))
      let post = try RawClient.exchange(port: port, "POST /reload HTTP/1.1\r\nHost: a\r\n\r\n")
      #expect(post.hasPrefix("HTTP/1.1 200 OK\r\n"))
      #expect(post.hasSuffix("done\n"))
      let other = try RawClient.exchange(port: port, "POST /health HTTP/1.1\r\nHost: a\r\n\r\n")
      #expect(other.contains("Allow: GET, HEAD\r\n"))
    }
  }

  @Test func clientLeavingBeforeTheActionReplies_isClosed_andTheLateReplyDropped() throws {
    let release = ConditionFlag()
    let replied = ConditionFlag()
    let action: HTTP1Server.Action = { _, reply in
      Thread {
        release.wait()
        reply(.text("late\n"))
        replied.set()
      }.detach()
    }
    try withServer(actions: ["/reload": action]) { server, port in
      let post = try RawClient(port: port)
      post.send("POST /reload HTTP/1.1\r\nHost: a\r\n\r\n")
      close(post.fd)
      release.set()
      replied.wait()
      // The loop is still serving after the dropped reply.
      let health = try RawClient.exchange(port: port, "GET /health HTTP/1.1\r\nHost: a\r\n\r\n")
      #expect(health.hasSuffix("ok\n"))
    }
  }

  @Test func malformedAndOversizedRequests_get400And431() throws {
    try withServer { _, port in
      let bad = try RawClient.exchange(port: port, "GET / HTTP/1.1\r\nno colon\r\n\r\n")
      #expect(bad.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
      let huge =
        "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "y", count: 9000) + "\r\n\r\n"
      let tooLarge = try RawClient.exchange(port: port, huge)
      #expect(tooLarge.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
    }
  }

  @Test func headSentByteByByte_isAssembled() throws {
    try withServer { _, port in
      let client = try RawClient(port: port)
      client.disableNagle()
      for byte in "GET /health HTTP/1.1\r\nHost: a\r\n\r\n" {
        client.send(String(byte))
      }
      #expect(client.readAll().hasSuffix("\r\n\r\nok\n"))
    }
  }

  @Test func stuckClient_doesNotHoldUpOthers_andIsAnsweredWhenItFinishesItsHead() throws {
    var configuration = HTTP1Server.Configuration(host: "127.0.0.1", port: 0)
    configuration.requestTimeout = .seconds(3600)
    try withServer(configuration) { _, port in
      let stuck = try RawClient(port: port)
      stuck.send("GET /health HTTP/1.1\r\n")
      let served = try RawClient.exchange(port: port, "GET /health HTTP/1.1\r\nHost: a\r\n\r\n")
      #expect(served.hasSuffix("ok\n"))
      // The stuck connection was open all along, its half head kept: the rest completes it.
      stuck.send("Host: a\r\n\r\n")
      #expect(stuck.readAll().hasSuffix("\r\n\r\nok\n"))
    }
  }

  @Test func stuckClient_getsA408WhenTheRequestTimeoutPasses() throws {
    var configuration = HTTP1Server.Configuration(host: "127.0.0.1", port: 0)
    configuration.requestTimeout = .milliseconds(200)
    try withServer(configuration) { _, port in
      let stuck = try RawClient(port: port)
      stuck.send("GET /health HTTP/1.1\r\n")
      // Nothing else can answer a half head: with an hour's timeout the test above gets a 200.
      #expect(stuck.readAll().hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
    }
  }

  @Test func connectionsBeyondTheLimit_areClosedAtOnce() throws {
    var configuration = HTTP1Server.Configuration(host: "127.0.0.1", port: 0)
    configuration.maxConnections = 1
    try withServer(configuration) { _, port in
      // The kernel queues connections in order and the server accepts them in that order, so
      // the first is the one it keeps.
      let first = try RawClient(port: port)
      #expect(try RawClient.exchange(port: port, "GET /health HTTP/1.1\r\nHost: a\r\n\r\n") == "")
      first.send("GET /health HTTP/1.1\r\nHost: a\r\n\r\n")
      #expect(first.readAll().hasSuffix("ok\n"))
    }
  }

  @Test func pastTheLimit_priorityPathsAreAnswered_othersGet503_refusalsCountedNotLogged()
    throws
  {
    // A clock that never moves: every refusal falls in one rate-limit interval.
    let limiter = LogRateLimiter(linesPerInterval: 1, interval: .seconds(10)) { 0 }
    var configuration = HTTP1Server.Configuration(host: "127.0.0.1", port: 0)
    configuration.requestTimeout = .seconds(3600)
    configuration.maxConnections = 2
    configuration.priorityPaths = ["/health"]
    configuration.priorityReserve = 2
    configuration.logLimiter = limiter
    try withServer(configuration) { server, port in
      // Accepted in order: two fill the limit, two the reserve, and the last two each push out
      // the oldest silent reserve connection.
      let held = try (0..<6).map { _ in try RawClient(port: port) }
      let health = try RawClient.exchange(port: port, "GET /health HTTP/1.1\r\nHost: a\r\n\r\n")
      #expect(health.hasPrefix("HTTP/1.1 200 OK\r\n") && health.hasSuffix("ok\n"))
      #expect(server.counters.connectionsRefused == 3)
      // Pushed out without an answer, oldest first.
      for client in held[2...4] { #expect(client.readAll() == "") }
      // The reserve answers nothing else.
      held[5].send("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
      #expect(held[5].readAll().hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
      #expect(server.counters.connectionsRefused == 4)
      // The connections within the limit were never touched and are served in full.
      held[0].send("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
      #expect(held[0].readAll().hasSuffix("m 1\nquery -\n"))
      close(held[1].fd)
      // One line logged for the three connections closed unanswered, two dropped and counted
      // (a 503 is an answer, not logged).
      #expect(limiter.suppressedCounts().map(\.kind) == ["admin.connection_refused"])
      #expect(limiter.suppressedCounts().map(\.count) == [2])
    }
  }

  @Test func concurrentClients_allGetAnswers() throws {
    let calls = Atomic<Int>(0)
    try withServer(
      handler: { _ in
        calls.wrappingAdd(1, ordering: .relaxed)
        return .text("ok\n")
      }
    ) { _, port in
      let failures = Atomic<Int>(0)
      let threads = (0..<4).map { _ in
        Thread {
          for _ in 0..<50 {
            let response = try? RawClient.exchange(port: port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            if response?.hasSuffix("\r\n\r\nok\n") != true {
              failures.wrappingAdd(1, ordering: .relaxed)
            }
          }
        }
      }
      threads.forEach { $0.join() }
      #expect(failures.load(ordering: .relaxed) == 0)
      #expect(calls.load(ordering: .relaxed) == 200)
    }
  }

  @Test func samePortTwice_failsToBind() throws {
    try withServer { _, port in
      let second = HTTP1Server(
        configuration: .init(host: "127.0.0.1", port: port), handler: { _ in .notFound })
      #expect(throws: SystemError.self) { try second.start() }
    }
  }

  @Test func stop_closesTheListener() throws {
    let server = HTTP1Server(
      configuration: .init(host: "127.0.0.1", port: 0), handler: { _ in .text("ok\n") })
    let port = try server.start().port
    #expect(try RawClient.exchange(port: port, "GET / HTTP/1.0\r\n\r\n").hasSuffix("ok\n"))
    server.stop()
    server.stop()
    #expect(throws: SystemError.self) { try RawClient(port: port) }
  }
}

/// A joinable pthread for the concurrency test (no Foundation in this test target).
private final class Thread: @unchecked Sendable {
  // @unchecked Sendable: `thread` is written once before any other thread reads it.
  private var thread = pthread_t()

  init(_ body: @escaping @Sendable () -> Void) {
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    let result = pthread_create(
      &thread, nil,
      { context in
        Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
        return nil
      }, box)
    precondition(result == 0)
  }

  func join() { pthread_join(thread, nil) }

  /// Lets the thread end on its own.
  func detach() { pthread_detach(thread) }

  private final class Box {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
  }
}

/// A one-shot flag threads wait on.
private final class ConditionFlag: @unchecked Sendable {
  // @unchecked Sendable: `isSet` is read and written only under `lock`.
  private let lock = ConditionLock()
  private var isSet = false

  func set() {
    lock.withLock {
      isSet = true
      lock.broadcast()
    }
  }

  func wait() {
    lock.withLock {
      while !isSet { lock.wait() }
    }
  }
}
