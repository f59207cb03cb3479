import Logging
import Testing

@testable import Transport

/// Header list limits: a hostile header block costs at most the limits, whatever it decodes to.
@Suite struct HTTP2HeaderListLimitTests {
  /// One field of the amplification attack: a 4,000-byte value in the HPACK dynamic table.
  static let attackName = Array("x-a".utf8)
  static let attackValue = [UInt8](repeating: UInt8(ascii: "a"), count: 4000)

  // MARK: - The list, without sockets

  @Test func amplifiedBlock_keepsFieldsOnlyUpToTheSizeLimit() {
    var list = HTTP2ReceivedHeaderList(maxBytes: 60 << 10, maxCount: 100_000)
    let fieldSize = Self.attackName.count + Self.attackValue.count + 32
    var refused: [HTTP2ReceivedHeaderList.Exceeded] = []
    // 147 KB of one-byte references decode to about 147,000 such fields (570 MB).
    for _ in 0..<147_000 {
      let exceeded = Self.attackName.withUnsafeBufferPointer { name in
        Self.attackValue.withUnsafeBufferPointer { list.append(name: name, value: $0) }
      }
      if let exceeded { refused.append(exceeded) }
    }
    #expect(list.headers.count == (60 << 10) / fieldSize)
    #expect(list.size == list.headers.count * fieldSize)
    #expect(list.size <= 60 << 10)
    #expect(refused.count == 147_000 - list.headers.count)
    #expect(refused.allSatisfy { $0 == .size })
  }

  @Test func fieldPastTheCountLimit_isRefused_andTakeStartsAnEmptyBlock() {
    var list = HTTP2ReceivedHeaderList(maxBytes: 60 << 10, maxCount: 100)
    let name = Array("x-n".utf8)
    let value = Array("v".utf8)
    func append() -> HTTP2ReceivedHeaderList.Exceeded? {
      name.withUnsafeBufferPointer { name in
        value.withUnsafeBufferPointer { list.append(name: name, value: $0) }
      }
    }
    for _ in 0..<100 { #expect(append() == nil) }
    #expect(append() == .count)
    #expect(list.take().count == 100)
    #expect(list.headers.isEmpty && list.size == 0)
    #expect(append() == nil)
  }

  // MARK: - On the wire

  /// A raw HTTP/2 peer (this test's thread, blocking socket) sends the amplification block on
  /// stream 1 — one literal with incremental indexing of a 4,000-byte value, then one-byte
  /// references to it (0xbe, dynamic index 62) filling a HEADERS and eight CONTINUATIONs
  /// (147 KB) — and a normal request on stream 3, to a real server `HTTP2Connection`.
  @Test func amplificationBlock_resetsItsStream_andTheNextStreamIsAnswered() throws {
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    let loop = group.loops[0]
    let (serverFD, peerFD) = try Syscall.socketpair()
    defer { Syscall.close(peerFD) }
    let counters = HTTP2HeaderLimitCounters()
    var settings = HTTP2Settings()
    settings.headerLimitCounters = counters
    Self.serve(fd: serverFD, on: loop, settings: settings)
    let peer = RawPeer(fd: peerFD)
    peer.startConnection()
    let block = Self.amplificationBlock(frames: 9)
    for index in 0..<9 {
      let chunk = Array(block[(index * 16384)..<((index + 1) * 16384)])
      // END_STREAM on the HEADERS: had the block reached the echo server, it would answer.
      peer.sendFrame(
        type: index == 0 ? 0x1 : 0x9, flags: (index == 0 ? 0x1 : 0) | (index == 8 ? 0x4 : 0),
        stream: 1, payload: chunk)
    }
    peer.sendFrame(type: 0x1, flags: 0x4, stream: 3, payload: RawPeer.requestFields(path: "/ok"))
    peer.sendFrame(type: 0x0, flags: 0x1, stream: 3, payload: Array("ping".utf8))

    var resetCodes: [UInt32] = []
    var stream1Answered = false
    var advertisedListSize: UInt32?
    var stream3Data: [UInt8] = []
    var stream3Status200 = false
    var stream3Ended = false
    while !stream3Ended, let frame = peer.readFrame() {
      switch (frame.type, frame.stream) {
      case (0x4, 0) where frame.flags & 0x1 == 0:
        for offset in stride(from: 0, to: frame.payload.count, by: 6) {
          let entry = frame.payload[offset..<offset + 6]
          if RawPeer.integer(entry.prefix(2)) == 0x6 {
            advertisedListSize = RawPeer.integer(entry.suffix(4))
          }
        }
      case (0x1, 1), (0x0, 1):
        stream1Answered = true
      case (0x3, 1):
        resetCodes.append(RawPeer.integer(frame.payload[...]))
      case (0x1, 3):
        // nghttp2 encodes `:status: 200` as static table index 8.
        if frame.payload.first == 0x88 { stream3Status200 = true }
        stream3Ended = frame.flags & 0x1 != 0
      case (0x0, 3):
        stream3Data += frame.payload
        stream3Ended = frame.flags & 0x1 != 0
      default:
        break
      }
    }
    #expect(advertisedListSize == 60 << 10)
    #expect(resetCodes == [0xb])  // one RST_STREAM, ENHANCE_YOUR_CALM
    #expect(!stream1Answered)
    #expect(stream3Status200)
    #expect(stream3Data == Array("ping".utf8))
    #expect(stream3Ended)
    #expect(counters.sizeExceeded == 1)
    #expect(counters.countExceeded == 0)
  }

  @Test func blockWithTooManyFields_resetsItsStream_andIsCountedAsCount() throws {
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    let loop = group.loops[0]
    let (serverFD, peerFD) = try Syscall.socketpair()
    defer { Syscall.close(peerFD) }
    let counters = HTTP2HeaderLimitCounters()
    var settings = HTTP2Settings()
    settings.headerLimitCounters = counters
    settings.maxHeaderCount = 10
    Self.serve(fd: serverFD, on: loop, settings: settings)
    let peer = RawPeer(fd: peerFD)
    peer.startConnection()
    // Four pseudo-headers and seven `x-n: v` fields: eleven, one past the limit.
    var fields = RawPeer.requestFields(path: "/many")
    for _ in 0..<7 { fields += [0x00, 3] + Array("x-n".utf8) + [1, UInt8(ascii: "v")] }
    peer.sendFrame(type: 0x1, flags: 0x5, stream: 1, payload: fields)
    var resetCode: UInt32?
    while resetCode == nil, let frame = peer.readFrame() {
      if frame.type == 0x3, frame.stream == 1 { resetCode = RawPeer.integer(frame.payload[...]) }
    }
    #expect(resetCode == 0xb)
    #expect(counters.countExceeded == 1)
    #expect(counters.sizeExceeded == 0)
  }

  // MARK: - Building blocks

  /// Starts a server connection on `fd` that echoes each request (it lives until the loop
  /// stops: the connection retains itself while open).
  static func serve(fd: Int32, on loop: EventLoop, settings: HTTP2Settings) {
    loop.execute {
      let server = HTTP2Connection(
        fd: fd, role: .server, loop: loop, settings: settings, peerAddress: "peer",
        logger: Logger(label: "test"))
      server.delegate = HTTP2ConnectionTests.EchoServer()
      try! server.start()
    }
  }

  /// The request fields, the 4,000-byte literal added to the dynamic table, then 0xbe
  /// references until the block fills `frames` frames of 16,384 bytes.
  static func amplificationBlock(frames: Int) -> [UInt8] {
    // Literal with incremental indexing, new name (0x40); 4,000 = 127 + 3,873 in HPACK's 7-bit
    // prefix integer: 0x7f, then 3,873 as 0xa1 0x1e.
    var block = RawPeer.requestFields(path: "/attack")
    block += [0x40, UInt8(attackName.count)] + attackName
    block += [0x7f, 0xa1, 0x1e] + attackValue
    block += [UInt8](repeating: 0xbe, count: frames * 16384 - block.count)
    return block
  }
}
