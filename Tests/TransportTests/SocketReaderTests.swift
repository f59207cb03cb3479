import Glibc
import Testing

@testable import Transport

/// The reads-per-event cap, on a socketpair with a 16-byte buffer: no loop, no timing.
@Suite struct SocketReaderTests {
  /// A connected socketpair and a small read buffer; `peer` writes, `fd` is read.
  final class Fixture {
    let fd: Int32
    let peer: Int32
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 1)
    var peerClosed = false

    init() throws {
      (fd, peer) = try Syscall.socketpair()
    }

    deinit {
      Syscall.close(fd)
      if !peerClosed { Syscall.close(peer) }
      buffer.deallocate()
    }

    func send(_ bytes: [UInt8]) throws {
      let result = try bytes.withUnsafeBytes { bytes throws(SystemError) in
        try Syscall.write(peer, bytes)
      }
      guard case .processed(bytes.count) = result else {
        throw SystemError(function: "write (short)", errno: EAGAIN)
      }
    }

    func closePeer() {
      Syscall.close(peer)
      peerClosed = true
    }

    /// One event's reads: the outcome and the size of each chunk handed on.
    func read(
      into received: inout [UInt8], stopAfter stop: Int = .max
    ) -> (SocketReader.Outcome, [Int]) {
      var sizes: [Int] = []
      let outcome = SocketReader.read(fd, into: buffer) { bytes in
        sizes.append(bytes.count)
        received += bytes
        return sizes.count < stop
      }
      return (outcome, sizes)
    }
  }

  @Test func moreThanTheCapWaiting_isReadFourBuffersPerEvent_andTheRestOnLaterEvents() throws {
    let fixture = try Fixture()
    let sent = (0..<(10 * 16 + 3)).map { UInt8(truncatingIfNeeded: $0) }
    try fixture.send(sent)
    var received: [UInt8] = []
    var events: [(SocketReader.Outcome, [Int])] = []
    repeat {
      events.append(fixture.read(into: &received))
    } while events.last?.0 == .capped
    #expect(SocketReader.maxReadsPerEvent == 4)
    #expect(events.map(\.0) == [.capped, .capped, .drained])
    #expect(events.map(\.1) == [[16, 16, 16, 16], [16, 16, 16, 16], [16, 16, 3]])
    #expect(received == sent)
  }

  @Test func emptySocket_isDrained_withoutCallingTheConsumer() throws {
    let fixture = try Fixture()
    var received: [UInt8] = []
    let (outcome, sizes) = fixture.read(into: &received)
    #expect(outcome == .drained)
    #expect(sizes.isEmpty)
  }

  @Test func exactlyTheCapWaiting_isCapped_thenTheNextEventFindsNothing() throws {
    let fixture = try Fixture()
    try fixture.send(Array(repeating: 7, count: 4 * 16))
    var received: [UInt8] = []
    let first = fixture.read(into: &received)
    let second = fixture.read(into: &received)
    #expect(first == (.capped, [16, 16, 16, 16]))
    #expect(second == (.drained, []))
    #expect(received.count == 64)
  }

  @Test func peerClose_isEndOfStream_afterTheBytesSentBeforeIt() throws {
    let fixture = try Fixture()
    try fixture.send([1, 2, 3, 4, 5])
    fixture.closePeer()
    var received: [UInt8] = []
    let bytes = fixture.read(into: &received)
    let end = fixture.read(into: &received)
    #expect(bytes == (.drained, [5]))
    #expect(end == (.endOfStream, []))
    #expect(received == [1, 2, 3, 4, 5])
  }

  @Test func consumerThatStops_endsTheEvent_andTheRestStaysInTheSocket() throws {
    let fixture = try Fixture()
    try fixture.send(Array(0..<48))
    var received: [UInt8] = []
    let stopped = fixture.read(into: &received, stopAfter: 1)
    let rest = fixture.read(into: &received)
    #expect(stopped == (.stopped, [16]))
    #expect(rest == (.drained, [16, 16]))
    #expect(received == Array(0..<48))
  }

  @Test func readOnASocketThatNeverConnected_failsWithTheSystemError() throws {
    let fixture = try Fixture()
    let unconnected = try Syscall.socket(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue))
    defer { Syscall.close(unconnected) }
    let outcome = SocketReader.read(unconnected, into: fixture.buffer) { _ in true }
    guard case .failed(let error) = outcome else {
      Issue.record("expected a failure, got \(outcome)")
      return
    }
    #expect(error == SystemError(function: "read", errno: ENOTCONN))
  }
}
