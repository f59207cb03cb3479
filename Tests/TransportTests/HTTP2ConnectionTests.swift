import Dispatch
import Logging
import Synchronization
import Testing

@testable import Transport

/// A server and a client `HTTP2Connection` talking over a socketpair on one loop.
@Suite struct HTTP2ConnectionTests {
  /// What the client saw of one exchange.
  struct Exchange: Sendable {
    var responseHeaders: [HTTP2Header] = []
    var body: [UInt8] = []
    var trailers: [HTTP2Header] = []
    var closeReason: HTTP2StreamCloseReason?
  }

  /// Server side: answers each request with headers, the request body echoed, and trailers.
  /// The `on…` hooks let a test act on what the server saw, when it saw it.
  final class EchoServer: HTTP2ConnectionDelegate, HTTP2StreamDelegate {
    var requestHeaders: [[HTTP2Header]] = []
    var bodies: [Int32: [UInt8]] = [:]
    var serverCloseReasons: [HTTP2StreamCloseReason] = []
    var connectionClosed = false
    var onData: ((HTTP2Stream) -> Void)?
    var onStreamClosed: (() -> Void)?
    var onConnectionClosed: (() -> Void)?

    func connection(
      _ connection: HTTP2Connection, openedStream stream: HTTP2Stream, headers: [HTTP2Header],
      endStream: Bool
    ) {
      requestHeaders.append(headers)
      stream.delegate = self
      if endStream { streamReceivedEnd(stream) }
    }
    func connectionClosed(_ connection: HTTP2Connection) {
      connectionClosed = true
      onConnectionClosed?()
    }
    func stream(_ stream: HTTP2Stream, receivedHeaders headers: [HTTP2Header], endStream: Bool) {}
    func stream(_ stream: HTTP2Stream, receivedData data: UnsafeRawBufferPointer) {
      bodies[stream.id, default: []].append(contentsOf: data)
      onData?(stream)
    }
    func streamReceivedEnd(_ stream: HTTP2Stream) {
      stream.sendHeaders([HTTP2Header(":status", "200")], endStream: false)
      stream.sendData(bodies[stream.id] ?? [])
      stream.sendTrailers([HTTP2Header("x-trailer", "done")])
    }
    func streamClosed(_ stream: HTTP2Stream, reason: HTTP2StreamCloseReason) {
      serverCloseReasons.append(reason)
      onStreamClosed?()
    }
  }

  /// Client side: records one exchange and signals when the stream closes.
  final class Recorder: HTTP2StreamDelegate {
    var exchange = Exchange()
    var sawHeaders = false
    let onClose: (Exchange) -> Void
    init(onClose: @escaping (Exchange) -> Void) { self.onClose = onClose }
    func stream(_ stream: HTTP2Stream, receivedHeaders headers: [HTTP2Header], endStream: Bool) {
      if sawHeaders { exchange.trailers = headers } else { exchange.responseHeaders = headers }
      sawHeaders = true
    }
    func stream(_ stream: HTTP2Stream, receivedData data: UnsafeRawBufferPointer) {
      exchange.body.append(contentsOf: data)
    }
    func streamReceivedEnd(_ stream: HTTP2Stream) {}
    func streamClosed(_ stream: HTTP2Stream, reason: HTTP2StreamCloseReason) {
      exchange.closeReason = reason
      onClose(exchange)
    }
  }

  final class Pair: @unchecked Sendable {
    // @unchecked Sendable: created and used only on `loop`.
    let loop: EventLoop
    let server: HTTP2Connection
    let client: HTTP2Connection
    let echo = EchoServer()

    init(loop: EventLoop) throws {
      self.loop = loop
      let (a, b) = try Syscall.socketpair()
      let logger = Logger(label: "test")
      server = HTTP2Connection(
        fd: a, role: .server, loop: loop, settings: HTTP2Settings(), peerAddress: "client",
        logger: logger)
      client = HTTP2Connection(
        fd: b, role: .client, loop: loop, settings: HTTP2Settings(), peerAddress: "server",
        logger: logger)
      server.delegate = echo
      try server.start()
      try client.start()
    }
  }

  /// Runs `body` on a fresh loop with a connected pair; waits for `count` signals.
  func withPair(
    expecting count: Int, _ body: @escaping @Sendable (Pair, @escaping @Sendable () -> Void) -> Void
  ) throws {
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    let loop = group.loops[0]
    let done = DispatchSemaphore(value: 0)
    let made = MadePair()
    loop.execute {
      let pair = try! Pair(loop: loop)
      made.pair = pair
      body(pair) { done.signal() }
    }
    for _ in 0..<count {
      #expect(done.wait(timeout: .now() + 10) == .success)
    }
    // The tests' hooks capture the pair, which holds them: drop them so the pair is freed.
    loop.execute {
      made.pair?.echo.onData = nil
      made.pair?.echo.onStreamClosed = nil
      made.pair?.echo.onConnectionClosed = nil
      made.pair = nil
    }
  }

  final class MadePair: @unchecked Sendable {
    // @unchecked Sendable: used only on the pair's loop.
    var pair: Pair?
  }

  static func request(path: String) -> [HTTP2Header] {
    [
      HTTP2Header(":method", "POST"), HTTP2Header(":scheme", "http"),
      HTTP2Header(":path", path), HTTP2Header(":authority", "test"),
    ]
  }

  @Test func requestWithBody_isEchoedWithHeadersBodyAndTrailers() throws {
    let result = Mutex<Exchange?>(nil)
    let requestHeaders = Mutex<[HTTP2Header]>([])
    try withPair(expecting: 1) { pair, done in
      let recorder = Recorder { exchange in
        result.withLock { $0 = exchange }
        requestHeaders.withLock { $0 = pair.echo.requestHeaders.first ?? [] }
        done()
      }
      let stream = pair.client.openStream(
        headers: Self.request(path: "/echo") + [HTTP2Header("x-custom", "v")], endStream: false,
        delegate: recorder)
      stream?.sendData(Array("hello ".utf8))
      stream?.sendData(Array("world".utf8), endStream: true)
    }
    let exchange = try #require(result.withLock { $0 })
    #expect(exchange.responseHeaders == [HTTP2Header(":status", "200")])
    #expect(exchange.body == Array("hello world".utf8))
    #expect(exchange.trailers == [HTTP2Header("x-trailer", "done")])
    #expect(exchange.closeReason == .closed(errorCode: 0))
    #expect(requestHeaders.withLock { $0 }.contains(HTTP2Header("x-custom", "v")))
  }

  @Test func oneMebibyteBody_flowsBothWays() throws {
    let body = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    let result = Mutex<Exchange?>(nil)
    try withPair(expecting: 1) { pair, done in
      let recorder = Recorder { exchange in
        result.withLock { $0 = exchange }
        done()
      }
      let stream = pair.client.openStream(
        headers: Self.request(path: "/big"), endStream: false, delegate: recorder)
      stream?.sendData(body, endStream: true)
    }
    let exchange = try #require(result.withLock { $0 })
    #expect(exchange.body.count == body.count)
    #expect(exchange.body == body)
  }

  @Test func manyConcurrentStreams_allComplete() throws {
    let completed = Mutex(0)
    try withPair(expecting: 200) { pair, done in
      for index in 0..<200 {
        let recorder = Recorder { exchange in
          if exchange.body == Array("\(index)".utf8) { completed.withLock { $0 += 1 } }
          done()
        }
        let stream = pair.client.openStream(
          headers: Self.request(path: "/s"), endStream: false, delegate: recorder)
        stream?.sendData(Array("\(index)".utf8), endStream: true)
      }
    }
    #expect(completed.withLock { $0 } == 200)
  }

  @Test func peerReset_reachesServerStreamAsCloseWithErrorCode() throws {
    let reasons = Mutex<[HTTP2StreamCloseReason]>([])
    try withPair(expecting: 1) { pair, done in
      var stream: HTTP2Stream?
      // Reset once the server has the stream (its first DATA arrived), and wait for the server
      // to see the reset.
      pair.echo.onData = { _ in stream?.reset(errorCode: 8) }  // CANCEL
      pair.echo.onStreamClosed = {
        reasons.withLock { $0 = pair.echo.serverCloseReasons }
        done()
      }
      stream = pair.client.openStream(
        headers: Self.request(path: "/reset"), endStream: false, delegate: Recorder { _ in })
      stream?.sendData(Array("partial".utf8))
    }
    #expect(reasons.withLock { $0 } == [.closed(errorCode: 8)])
  }

  @Test func gracefulShutdown_letsOpenStreamFinish_thenClosesConnection() throws {
    let exchange = Mutex<Exchange?>(nil)
    let closed = Mutex(false)
    try withPair(expecting: 2) { pair, done in
      var stream: HTTP2Stream?
      var shutdownBegun = false
      // GOAWAY once the server holds the open stream; the stream's end comes after it.
      pair.echo.onData = { _ in
        guard !shutdownBegun else { return }
        shutdownBegun = true
        pair.server.beginGracefulShutdown()
        stream?.sendData(Array(" after".utf8), endStream: true)
      }
      pair.echo.onConnectionClosed = {
        closed.withLock { $0 = true }
        done()
      }
      let recorder = Recorder { result in
        exchange.withLock { $0 = result }
        done()
      }
      stream = pair.client.openStream(
        headers: Self.request(path: "/drain"), endStream: false, delegate: recorder)
      stream?.sendData(Array("before".utf8))
    }
    #expect(exchange.withLock { $0 }?.body == Array("before after".utf8))
    #expect(closed.withLock { $0 })
  }

  /// A loop whose reads take 64 bytes: each turn takes at most 4 × 64 bytes from a connection.
  /// `busy`'s 32 KiB request is whole in its socket before the loop first reads, beside
  /// `other`'s small one. `other` is answered while `busy`'s server has read only part of its
  /// request (without the cap it would read all of it in the first turn), and `busy`, capped
  /// turn after turn, is served again until it is answered too.
  @Test func busyConnection_isReadAFewBuffersPerTurn_soAnotherOnTheLoopIsAnsweredFirst() throws {
    final class Run: @unchecked Sendable {
      // @unchecked Sendable: touched only by the test thread, which drives the loop.
      var pairs: [Pair] = []
      var busy: Exchange?
      var other: Exchange?
      var busyBytesReadWhenOtherWasAnswered: Int?
      var gaveUp = false
    }
    let loop = try EventLoop(index: 0, readBufferSize: 64)
    let big = (0..<(32 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
    let run = Run()
    loop.execute {
      let busy = try! Pair(loop: loop)
      let other = try! Pair(loop: loop)
      run.pairs = [busy, other]
      let busyStream = busy.client.openStream(
        headers: Self.request(path: "/busy"), endStream: false,
        delegate: Recorder { run.busy = $0 })
      busyStream?.sendData(big, endStream: true)
      let otherStream = other.client.openStream(
        headers: Self.request(path: "/other"), endStream: false,
        delegate: Recorder { exchange in
          run.other = exchange
          run.busyBytesReadWhenOtherWasAnswered = busy.echo.bodies.values.first?.count ?? 0
        })
      otherStream?.sendData(Array("small".utf8), endStream: true)
      // Only a guard against hanging: the test never waits for it.
      loop.scheduleTimer(afterNanoseconds: 60_000_000_000) { run.gaveUp = true }
    }
    loop.run(until: { (run.busy != nil && run.other != nil) || run.gaveUp })
    loop.execute {
      for pair in run.pairs {
        pair.client.close()
        pair.server.close()
      }
      run.pairs = []
    }
    loop.run(until: { run.pairs.isEmpty })

    #expect(!run.gaveUp)
    #expect(run.other?.body == Array("small".utf8))
    #expect(run.busy?.body == big)
    let readFirst = try #require(run.busyBytesReadWhenOtherWasAnswered)
    #expect(readFirst > 0)
    #expect(readFirst < big.count)
  }
}
