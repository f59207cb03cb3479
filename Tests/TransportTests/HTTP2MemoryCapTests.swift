import Logging
import Testing

@testable import Transport

/// Memory caps of a server connection, on the wire against a raw HTTP/2 peer: request data held
/// unconsumed stays within the input cap (flow control), a peer that does not read gets no new
/// streams and is closed, and refused streams are counted.
@Suite struct HTTP2MemoryCapTests {

  /// 50 streams each start a large upload that the handler holds (as gRPC holds a partial
  /// message): the peer may send only the 1 MiB connection window, which is not granted again
  /// while held; the streams opened after it filled are refused. Ending the held streams grants
  /// the window again and a new stream is answered (the positive control).
  @Test func halfSentUploads_stayWithinTheInputCap_andLaterStreamsAreRefused() throws {
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    let cap = 1 << 20
    var configured = Self.limits()
    configured.maxConnectionInputBytes = cap
    let limits = configured
    let (serverFD, peerFD) = try Syscall.socketpair()
    defer { Syscall.close(peerFD) }
    Self.serve(fd: serverFD, on: group.loops[0], limits: limits, holdInput: true)
    let peer = RawPeer(fd: peerFD)
    peer.startConnection()
    var window: Int?
    while window == nil, let frame = peer.readFrame() {
      if frame.type == 0x8, frame.stream == 0 {
        window = 65_535 + Int(RawPeer.integer(frame.payload[...]))
      }
    }
    #expect(window == cap)
    peer.sendFrame(type: 0x4, flags: 0x1, stream: 0, payload: [])

    var remaining = window ?? 0
    var uploading: [UInt32] = []
    for index in 0..<50 {
      let stream = UInt32(2 * index + 1)
      peer.sendFrame(
        type: 0x1, flags: 0x4, stream: stream,
        payload: RawPeer.requestFields(path: "/upload"))
      let size = min(60_000, remaining)
      guard size > 0 else { continue }
      uploading.append(stream)
      remaining -= size
      for offset in stride(from: 0, to: size, by: 16_384) {
        peer.sendFrame(
          type: 0x0, flags: 0, stream: stream,
          payload: [UInt8](repeating: 0x61, count: min(16_384, size - offset)))
      }
    }
    let expectedRefusals = 50 - uploading.count
    var refused: [UInt32] = []
    var connectionWindowGranted = false
    while refused.count < expectedRefusals, let frame = peer.readFrame() {
      if frame.type == 0x3, RawPeer.integer(frame.payload[...]) == 0x7 {
        refused.append(frame.stream)
      }
      if frame.type == 0x8, frame.stream == 0 { connectionWindowGranted = true }
    }
    #expect(uploading.count == 18)  // 17 × 60,000 bytes, then the last 28,576 of the window
    let laterStreams: [UInt32] = (uploading.count..<50).map { UInt32(2 * $0 + 1) }
    #expect(refused == laterStreams)
    #expect(!connectionWindowGranted)
    #expect(limits.counters.refused(.inputFull) == UInt64(expectedRefusals))
    #expect(limits.memoryBudget.heldBytes == cap)

    for stream in uploading {
      peer.sendFrame(type: 0x3, flags: 0, stream: stream, payload: [0, 0, 0, 0x8])
    }
    var increment: UInt32?
    while increment == nil, let frame = peer.readFrame() {
      if frame.type == 0x8, frame.stream == 0 { increment = RawPeer.integer(frame.payload[...]) }
    }
    // nghttp2 announces consumed window once half of it is free again.
    #expect((increment ?? 0) >= UInt32(cap / 2))
    peer.sendFrame(
      type: 0x1, flags: 0x4, stream: 101,
      payload: RawPeer.requestFields(path: "/after"))
    peer.sendFrame(type: 0x0, flags: 0x1, stream: 101, payload: Array("ping".utf8))
    #expect(Self.readEcho(peer, stream: 101) == Array("ping".utf8))
    #expect(limits.counters.refused(.inputFull) == UInt64(expectedRefusals))
    let heldAtEnd = try loopValue(group.loops[0]) { limits.memoryBudget.heldBytes }
    #expect(heldAtEnd == 0)
  }

  /// A peer opens 20 streams whose answers are 4 MiB each and never reads: the first answer
  /// fills the 1 MiB output cap, the other 19 streams are refused, reading stops, and the
  /// connection is closed
  /// once it stays past the cap for the stall timeout. Another connection on the same loop is
  /// answered meanwhile, and the bytes held return to zero.
  @Test func peerThatNeverReads_getsNoNewStreams_andIsClosed() throws {
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    let loop = group.loops[0]
    let cap = 1 << 20
    let answerSize = 4 << 20
    var configured = Self.limits()
    configured.maxConnectionOutputBytes = cap
    configured.outputStallTimeout = .milliseconds(200)
    let limits = configured
    let closedSignal = ConditionLock()
    nonisolated(unsafe) var closed = false
    nonisolated(unsafe) var peakHeld = 0
    let (serverFD, peerFD) = try Syscall.socketpair()
    defer { Syscall.close(peerFD) }
    loop.execute {
      let server = HTTP2Connection(
        fd: serverFD, role: .server, loop: loop, settings: HTTP2Settings(), peerAddress: "peer",
        logger: Logger(label: "test"), limits: limits)
      let answers = LargeAnswers(size: answerSize)
      answers.afterSend = { peakHeld = max(peakHeld, limits.memoryBudget.heldBytes) }
      answers.onClose = {
        closedSignal.withLock {
          closed = true
          closedSignal.broadcast()
        }
      }
      server.delegate = answers
      try! server.start()
      // A guard against hanging, never a measurement: the wait below ends either way.
      loop.scheduleTimer(afterNanoseconds: 10_000_000_000) {
        closedSignal.withLock { closedSignal.broadcast() }
      }
    }
    let peer = RawPeer(fd: peerFD)
    peer.send(RawPeer.preface)
    // SETTINGS_INITIAL_WINDOW_SIZE 2^31-1 and the largest connection window: only the socket
    // holds the answers back.
    peer.sendFrame(type: 0x4, flags: 0, stream: 0, payload: [0, 0x4, 0x7f, 0xff, 0xff, 0xff])
    peer.sendFrame(type: 0x8, flags: 0, stream: 0, payload: [0x7f, 0xff, 0x00, 0x00])
    // All 20 requests in one write, so the server reads them together before it pauses.
    let fields = RawPeer.requestFields(path: "/large")
    var requests: [UInt8] = []
    for index in 0..<20 {
      let stream = UInt32(2 * index + 1)
      requests += [0, 0, UInt8(fields.count), 0x1, 0x5]
      requests += [24, 16, 8, 0].map { UInt8((stream >> $0) & 0xff) } + fields
    }
    peer.send(requests)

    let (otherServerFD, otherPeerFD) = try Syscall.socketpair()
    defer { Syscall.close(otherPeerFD) }
    Self.serve(fd: otherServerFD, on: loop, limits: limits, holdInput: false)
    let other = RawPeer(fd: otherPeerFD)
    other.startConnection()
    other.sendFrame(
      type: 0x1, flags: 0x4, stream: 1,
      payload: RawPeer.requestFields(path: "/other"))
    other.sendFrame(type: 0x0, flags: 0x1, stream: 1, payload: Array("pong".utf8))
    #expect(Self.readEcho(other, stream: 1) == Array("pong".utf8))

    closedSignal.withLock {
      if !closed { closedSignal.wait() }
    }
    #expect(closed)
    #expect(limits.counters.closed(.outputStalled) == 1)
    #expect(limits.counters.refused(.outputFull) == 19)
    // The cap was reached once: reading stopped until the close.
    #expect(limits.counters.readsPausedForOutput == 1)
    // Only the one stream accepted before the cap was reached queued its answer.
    #expect(peakHeld <= answerSize)
    let heldAfterClose = try loopValue(loop) { limits.memoryBudget.heldBytes }
    #expect(heldAfterClose == 0)
  }

  /// Two connections share a 200,000-byte process budget: once the first holds more than that
  /// in uploads (well within its own input cap), new streams on both are refused; after the
  /// first ends its uploads the second is answered (the positive control).
  @Test func processBudget_refusesNewStreamsOnEveryConnection() throws {
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    let loop = group.loops[0]
    var configured = Self.limits()
    configured.memoryBudget = HTTP2MemoryBudget(maxBytes: 200_000)
    let limits = configured
    let (holderFD, holderPeerFD) = try Syscall.socketpair()
    defer { Syscall.close(holderPeerFD) }
    let (otherFD, otherPeerFD) = try Syscall.socketpair()
    defer { Syscall.close(otherPeerFD) }
    Self.serve(fd: holderFD, on: loop, limits: limits, holdInput: true)
    Self.serve(fd: otherFD, on: loop, limits: limits, holdInput: true)
    let holder = RawPeer(fd: holderPeerFD)
    let other = RawPeer(fd: otherPeerFD)
    for peer in [holder, other] {
      peer.startConnection()
    }
    // Four streams of 64 KiB - 1 each: the stream windows (65,535 before our SETTINGS ACK) and
    // the connection window allow them without waiting.
    for stream in [UInt32(1), 3, 5, 7] {
      holder.sendFrame(
        type: 0x1, flags: 0x4, stream: stream,
        payload: RawPeer.requestFields(path: "/upload"))
      for offset in stride(from: 0, to: 65_535, by: 16_384) {
        holder.sendFrame(
          type: 0x0, flags: 0, stream: stream,
          payload: [UInt8](repeating: 0x61, count: min(16_384, 65_535 - offset)))
      }
    }
    // A fifth stream on the same connection: refused once the four are held (262,140 bytes).
    holder.sendFrame(
      type: 0x1, flags: 0x4, stream: 9,
      payload: RawPeer.requestFields(path: "/upload"))
    var holderRefused: UInt32?
    while holderRefused == nil, let frame = holder.readFrame() {
      if frame.type == 0x3 { holderRefused = frame.stream }
    }
    #expect(holderRefused == 9)
    #expect(limits.memoryBudget.heldBytes == 4 * 65_535)

    other.sendFrame(
      type: 0x1, flags: 0x5, stream: 1,
      payload: RawPeer.requestFields(path: "/refused"))
    var otherReset: UInt32?
    while otherReset == nil, let frame = other.readFrame() {
      if frame.type == 0x3, frame.stream == 1 { otherReset = RawPeer.integer(frame.payload[...]) }
    }
    #expect(otherReset == 0x7)
    #expect(limits.counters.refused(.memoryBudget) == 2)
    #expect(limits.counters.refused(.inputFull) == 0)

    for stream in [UInt32(1), 3, 5, 7] {
      holder.sendFrame(type: 0x3, flags: 0, stream: stream, payload: [0, 0, 0, 0x8])
    }
    // The holder's PING is answered after its resets were processed (same socket, in order).
    holder.sendFrame(type: 0x6, flags: 0, stream: 0, payload: [UInt8](repeating: 1, count: 8))
    var pinged = false
    while !pinged, let frame = holder.readFrame() {
      pinged = frame.type == 0x6 && frame.flags & 0x1 != 0
    }
    other.sendFrame(
      type: 0x1, flags: 0x4, stream: 3,
      payload: RawPeer.requestFields(path: "/after"))
    other.sendFrame(type: 0x0, flags: 0x1, stream: 3, payload: Array("ping".utf8))
    #expect(Self.readEcho(other, stream: 3) == Array("ping".utf8))
  }

  // MARK: - Building blocks

  /// Limits with the timeouts off (so only the memory caps act).
  static func limits() -> HTTP2ServerLimits {
    var limits = HTTP2ServerLimits()
    limits.prefaceTimeout = nil
    limits.idleTimeout = nil
    limits.streamIdleTimeout = nil
    limits.memoryBudget = HTTP2MemoryBudget(maxBytes: 64 << 20)
    return limits
  }

  /// Serves `fd` with the echo server; with `holdInput` it reports every body byte as held
  /// (it keeps them until the request ends).
  static func serve(fd: Int32, on loop: EventLoop, limits: HTTP2ServerLimits, holdInput: Bool) {
    loop.execute {
      let server = HTTP2Connection(
        fd: fd, role: .server, loop: loop, settings: HTTP2Settings(), peerAddress: "peer",
        logger: Logger(label: "test"), limits: limits)
      let echo = HTTP2ConnectionTests.EchoServer()
      if holdInput {
        echo.onData = { [unowned echo] stream in
          stream.heldInputBytes = echo.bodies[stream.id]?.count ?? 0
        }
      }
      server.delegate = echo
      try! server.start()
    }
  }

  /// The DATA the echo server sends back on `stream`, up to its END_STREAM.
  static func readEcho(_ peer: RawPeer, stream: UInt32) -> [UInt8] {
    var data: [UInt8] = []
    while let frame = peer.readFrame() {
      guard frame.stream == stream else { continue }
      if frame.type == 0x0 { data += frame.payload }
      if frame.type == 0x1 || frame.type == 0x0, frame.flags & 0x1 != 0 { break }
      if frame.type == 0x3 { break }
    }
    return data
  }

  /// Runs `body` on `loop` and returns its value (to read loop-confined state in order).
  func loopValue<T: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable () -> T) throws
    -> T
  {
    let done = ConditionLock()
    nonisolated(unsafe) var value: T?
    loop.execute {
      done.withLock {
        value = body()
        done.broadcast()
      }
    }
    return done.withLock {
      while value == nil { done.wait() }
      return value!
    }
  }
}

/// Answers every request with `size` bytes of DATA, then tells when its connection closed.
private final class LargeAnswers: HTTP2ConnectionDelegate, HTTP2StreamDelegate {
  let size: Int
  var afterSend: (() -> Void)?
  var onClose: (() -> Void)?

  init(size: Int) {
    self.size = size
  }

  func connection(
    _ connection: HTTP2Connection, openedStream stream: HTTP2Stream, headers: [HTTP2Header],
    endStream: Bool
  ) {
    stream.delegate = self
    stream.sendHeaders([HTTP2Header(":status", "200")], endStream: false)
    stream.sendData([UInt8](repeating: 0x62, count: size), endStream: true)
    afterSend?()
  }

  func connectionClosed(_ connection: HTTP2Connection) {
    onClose?()
  }

  func stream(_ stream: HTTP2Stream, receivedHeaders headers: [HTTP2Header], endStream: Bool) {}
  func stream(_ stream: HTTP2Stream, receivedData data: UnsafeRawBufferPointer) {}
  func streamReceivedEnd(_ stream: HTTP2Stream) {}
  func streamClosed(_ stream: HTTP2Stream, reason: HTTP2StreamCloseReason) {}
}
