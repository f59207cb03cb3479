import Dispatch
import Glibc
import Logging
import Synchronization
import Testing

@testable import Transport

/// A response whose HEADERS nghttp2 refuses to send (a header block over its 64 KiB limit):
/// the server closes that stream while nghttp2 still holds it, resets it so the peer is not
/// left waiting, and frames sent or received on it afterwards must find nothing.
/// FuzzHTTP2Connection found them reaching the freed stream: with streams looked up through
/// nghttp2's stream user data again, this test fails under `swift test --sanitize=address`
/// with a heap-use-after-free (3 runs of 3).
@Suite struct HTTP2UnsentResponseTests {
  /// Answers `/big` with a header block nghttp2 cannot send, anything else with 200 and "ok";
  /// keeps no stream (a closed stream is freed at once, as in the router).
  final class Answerer: HTTP2ConnectionDelegate, HTTP2StreamDelegate, @unchecked Sendable {
    // @unchecked Sendable: the loop thread writes, the test reads after `closed` signals.
    let closed = DispatchSemaphore(value: 0)
    let events = Mutex<[String]>([])

    func connection(
      _ connection: HTTP2Connection, openedStream stream: HTTP2Stream, headers: [HTTP2Header],
      endStream: Bool
    ) {
      stream.delegate = self
      let path = headers.first { $0.name == ":path" }?.value
      events.withLock { $0.append("open \(stream.id) \(path ?? "")") }
      if path == "/big" {
        let value = String(repeating: "v", count: 70_000)
        stream.sendHeaders([HTTP2Header(":status", "200"), HTTP2Header("x-big", value)],
          endStream: false)
        stream.sendData(Array("never sent".utf8), endStream: true)
      } else {
        stream.sendHeaders([HTTP2Header(":status", "200")], endStream: false)
        stream.sendData(Array("ok".utf8), endStream: true)
      }
    }
    func connectionClosed(_ connection: HTTP2Connection) {}
    func stream(_ stream: HTTP2Stream, receivedHeaders headers: [HTTP2Header], endStream: Bool) {}
    func stream(_ stream: HTTP2Stream, receivedData data: UnsafeRawBufferPointer) {
      events.withLock { $0.append("data \(stream.id)") }
    }
    func streamReceivedEnd(_ stream: HTTP2Stream) {
      events.withLock { $0.append("end \(stream.id)") }
    }
    func streamClosed(_ stream: HTTP2Stream, reason: HTTP2StreamCloseReason) {
      events.withLock { $0.append("closed \(stream.id)") }
      if stream.id == 1 { closed.signal() }
    }
  }

  @Test func framesOnAStreamWhoseResponseHeadersWereNotSent_reachNoStream() throws {
    let group = try EventLoopGroup(count: 1)
    defer {
      group.stop()
      group.join()
    }
    let loop = group.loops[0]
    let (serverFD, peerFD) = try Syscall.socketpair()
    defer { Syscall.close(peerFD) }
    let answerer = Answerer()
    loop.execute {
      // With the server's default limits, as `serve` runs it: the stream-idle deadline makes
      // every frame sent on a stream touch it.
      let server = HTTP2Connection(
        fd: serverFD, role: .server, loop: loop, settings: HTTP2Settings(), peerAddress: "peer",
        logger: Logger(label: "test"), limits: HTTP2ServerLimits())
      server.delegate = answerer
      try! server.start()
    }
    let peer = RawPeer(fd: peerFD)
    peer.startConnection()
    // HEADERS (END_HEADERS, no END_STREAM): the request body is still to come.
    peer.sendFrame(
      type: 0x1, flags: 0x4, stream: 1,
      payload: RawPeer.requestFields(path: "/big"))
    #expect(answerer.closed.wait(timeout: .now() + 10) == .success)

    // The peer had not read the reset yet: its body for stream 1 follows, then a second
    // request.
    peer.sendFrame(type: 0x0, flags: 0x1, stream: 1, payload: Array("late body".utf8))
    peer.sendFrame(
      type: 0x1, flags: 0x5, stream: 3,
      payload: RawPeer.requestFields(path: "/small"))
    var stream3Data: [UInt8] = []
    var stream1Frames: [UInt8] = []
    var stream1Reset: UInt32?
    var stream3Ended = false
    while !stream3Ended, let frame = peer.readFrame() {
      if frame.stream == 1 { stream1Frames.append(frame.type) }
      if frame.stream == 1, frame.type == 0x3 { stream1Reset = RawPeer.integer(frame.payload[...]) }
      if frame.stream == 3, frame.type == 0x0 {
        stream3Data += frame.payload
        stream3Ended = frame.flags & 0x1 != 0
      }
    }
    #expect(stream3Data == Array("ok".utf8))
    // No HEADERS or DATA for stream 1 ever left; it was reset with INTERNAL_ERROR.
    #expect(!stream1Frames.contains(0x1) && !stream1Frames.contains(0x0))
    #expect(stream1Reset == 0x2)
    // Stream 1 was closed once, and nothing of its late body reached it.
    let events = answerer.events.withLock { $0 }
    #expect(events.filter { $0.hasSuffix(" 1") || $0.hasPrefix("open 1") } == [
      "open 1 /big", "closed 1",
    ])
  }
}
