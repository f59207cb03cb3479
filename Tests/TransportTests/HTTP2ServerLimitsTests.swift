import Glibc
import Logging
import Testing

@testable import Transport

/// The server's timeouts and connection cap: a peer that stalls, idles or stays too long is let
/// go (and counted), and the others keep being served. Timeouts are tiny here; each test waits
/// for the event itself (a frame or the connection's end), never for a length of time. Where the
/// peer must act before a timeout (send its preface, open its stream), the timeout is 250 ms: a
/// margin for a busy machine, not a measurement.
@Suite struct HTTP2ServerLimitsTests {
  static let cancel: UInt32 = 0x8

  // MARK: - Deadlines, without sockets

  @Test func deadlines_prefaceComesDue_untilItArrives() {
    var limits = HTTP2ServerLimits()
    limits.prefaceTimeout = .milliseconds(10)
    var deadlines = HTTP2ConnectionDeadlines(limits: limits, now: 1_000)
    #expect(deadlines.due(now: 1_000 + 9_999_999, goawaySent: false) == nil)
    #expect(deadlines.due(now: 1_000 + 10_000_000, goawaySent: false) == .prefaceTimeout)
    deadlines.prefaceArrived()
    #expect(deadlines.due(now: 1_000 + 10_000_000, goawaySent: false) == nil)
  }

  @Test func deadlines_idleComesDue_onlyWithoutOpenStreams() {
    var limits = HTTP2ServerLimits()
    limits.idleTimeout = .seconds(1)
    var deadlines = HTTP2ConnectionDeadlines(limits: limits, now: 0)
    deadlines.prefaceArrived()
    deadlines.firstStreamOpened()
    #expect(deadlines.due(now: 5_000_000_000, goawaySent: false) == nil)
    deadlines.lastStreamClosed(now: 5_000_000_000)
    #expect(deadlines.due(now: 5_999_999_999, goawaySent: false) == nil)
    #expect(deadlines.due(now: 6_000_000_000, goawaySent: false) == .idleTimeout)
    #expect(deadlines.due(now: 6_000_000_000, goawaySent: true) == nil)
  }

  @Test(arguments: [0.9, 1.1])
  func deadlines_maxAgeComesDue_withItsJitter(jitter: Double) {
    var limits = HTTP2ServerLimits()
    limits.maxConnectionAge = .seconds(10)
    var deadlines = HTTP2ConnectionDeadlines(limits: limits, now: 0, ageJitter: jitter)
    deadlines.prefaceArrived()
    let age = UInt64((10_000_000_000 * jitter).rounded())
    #expect(deadlines.due(now: age - 1, goawaySent: false) == nil)
    #expect(deadlines.due(now: age, goawaySent: false) == .maxAge)
    #expect(deadlines.nextLook(now: 0, goawaySent: false, oldestStreamActivity: nil) == age)
  }

  /// The next look is never further away than the shortest idle timeout, so a deadline that
  /// appears later never needs an earlier timer.
  @Test func deadlines_nextLook_isAtMostTheShortestIdleTimeoutAway() {
    var limits = HTTP2ServerLimits()
    limits.idleTimeout = .seconds(60)
    limits.streamIdleTimeout = .seconds(5)
    var deadlines = HTTP2ConnectionDeadlines(limits: limits, now: 0)
    deadlines.prefaceArrived()
    let first = deadlines.nextLook(now: 0, goawaySent: false, oldestStreamActivity: nil)
    #expect(first == 5_000_000_000)
    deadlines.firstStreamOpened()
    let look = deadlines.nextLook(
      now: 2_000_000_000, goawaySent: false, oldestStreamActivity: 1_000_000_000)
    #expect(look == 6_000_000_000)
  }

  @Test func deadlines_withEveryLimitOff_areEmpty() {
    var limits = HTTP2ServerLimits()
    limits.prefaceTimeout = nil
    limits.idleTimeout = nil
    limits.streamIdleTimeout = nil
    let deadlines = HTTP2ConnectionDeadlines(limits: limits, now: 0)
    #expect(deadlines.isEmpty)
    #expect(deadlines.nextLook(now: 0, goawaySent: false, oldestStreamActivity: nil) == nil)
  }

  // MARK: - On the wire

  /// A client that connects and sends nothing is closed after the preface timeout; one that
  /// connected first and sent its preface is still served after that (the positive control:
  /// its own preface deadline came first).
  @Test func silentClient_isClosedAfterThePrefaceTimeout_andAPromptOneIsServed() throws {
    var limits = Self.limitsOff()
    limits.prefaceTimeout = .milliseconds(250)
    let server = try TestServer(limits: limits)
    defer { server.stop() }
    let prompt = try server.connect()
    defer { Syscall.close(prompt.fd) }
    prompt.startConnection()
    #expect(prompt.readFrame()?.type == 0x4)  // the server's SETTINGS: it was accepted first
    let silent = try server.connect()
    defer { Syscall.close(silent.fd) }
    #expect(Self.readUntilClosed(silent) != nil)
    #expect(Self.pingIsAnswered(prompt))
    #expect(limits.counters.closed(.prefaceTimeout) == 1)
  }

  @Test func connectionWithoutStreams_getsGoawayAfterTheIdleTimeout_andIsClosed() throws {
    var limits = Self.limitsOff()
    limits.idleTimeout = .milliseconds(50)
    let server = try TestServer(limits: limits)
    defer { server.stop() }
    let peer = try server.connect()
    defer { Syscall.close(peer.fd) }
    peer.startConnection()
    let frames = try #require(Self.readUntilClosed(peer))
    let goaway = try #require(frames.first { $0.type == 0x7 })
    #expect(RawPeer.integer(goaway.payload[4..<8]) == 0)  // NO_ERROR
    #expect(limits.counters.closed(.idleTimeout) == 1)
  }

  /// A connection with an open stream is not idle: a second connection, made after it and
  /// without streams, gets its GOAWAY (the positive control: the first one's idle deadline
  /// would have come earlier), and the first then finishes its stream and answers a PING.
  @Test func connectionWithAnOpenStream_isNotClosedByTheIdleTimeout() throws {
    var limits = Self.limitsOff()
    limits.idleTimeout = .milliseconds(250)
    let server = try TestServer(limits: limits)
    defer { server.stop() }
    let busy = try server.connect()
    defer { Syscall.close(busy.fd) }
    busy.startConnection()
    busy.sendFrame(type: 0x1, flags: 0x4, stream: 1, payload: Self.request("/open"))
    #expect(Self.pingIsAnswered(busy))  // the stream is open on the server before the control
    let idle = try server.connect()
    defer { Syscall.close(idle.fd) }
    idle.startConnection()
    let frames = try #require(Self.readUntilClosed(idle))
    #expect(frames.contains { $0.type == 0x7 })
    #expect(Self.pingIsAnswered(busy))
    // Read before the stream ends: the busy connection may go idle once it has.
    #expect(limits.counters.closed(.idleTimeout) == 1)
    busy.sendFrame(type: 0x0, flags: 0x1, stream: 1, payload: Array("done".utf8))
    #expect(Self.answer(on: 1, from: busy) == Array("done".utf8))
  }

  /// Stream 1 opens and then says nothing: it is reset with CANCEL, and stream 3 on the same
  /// connection is answered afterwards.
  @Test func stuckStream_isResetAfterTheStreamIdleTimeout_andTheConnectionServesOthers() throws {
    var limits = Self.limitsOff()
    limits.streamIdleTimeout = .milliseconds(50)
    let server = try TestServer(limits: limits)
    defer { server.stop() }
    let peer = try server.connect()
    defer { Syscall.close(peer.fd) }
    peer.startConnection()
    peer.sendFrame(type: 0x1, flags: 0x4, stream: 1, payload: Self.request("/stuck"))
    var resetCode: UInt32?
    while resetCode == nil, let frame = peer.readFrame() {
      if frame.type == 0x3, frame.stream == 1 { resetCode = RawPeer.integer(frame.payload[...]) }
    }
    #expect(resetCode == Self.cancel)
    // The whole request in one frame: answered at once, whatever the timeout.
    peer.sendFrame(type: 0x1, flags: 0x5, stream: 3, payload: Self.request("/ok"))
    #expect(Self.answer(on: 3, from: peer) == [])
    #expect(limits.counters.streamsResetForIdling == 1)
  }

  /// Past the maximum age the server sends GOAWAY(NO_ERROR) naming the open stream, which then
  /// finishes normally before the connection closes.
  @Test func oldConnection_getsGoaway_andItsOpenStreamFinishes() throws {
    var limits = Self.limitsOff()
    limits.maxConnectionAge = .milliseconds(250)
    let server = try TestServer(limits: limits)
    defer { server.stop() }
    let peer = try server.connect()
    defer { Syscall.close(peer.fd) }
    peer.startConnection()
    peer.sendFrame(type: 0x1, flags: 0x4, stream: 1, payload: Self.request("/long"))
    var goaway: RawPeer.Frame?
    while goaway == nil, let frame = peer.readFrame() {
      if frame.type == 0x7 { goaway = frame }
    }
    let payload = try #require(goaway?.payload)
    #expect(RawPeer.integer(payload[0..<4]) == 1)  // last stream: the open one
    #expect(RawPeer.integer(payload[4..<8]) == 0)  // NO_ERROR
    peer.sendFrame(type: 0x0, flags: 0x1, stream: 1, payload: Array("late".utf8))
    #expect(Self.answer(on: 1, from: peer) == Array("late".utf8))
    #expect(Self.readUntilClosed(peer) != nil)
    #expect(limits.counters.closed(.maxAge) == 1)
  }

  @Test func connectionPastTheCap_isClosedAndCounted_andTheFirstOnesWork() throws {
    var limits = Self.limitsOff()
    limits.maxConnections = 2
    let server = try TestServer(limits: limits)
    defer { server.stop() }
    var admitted: [RawPeer] = []
    defer { for peer in admitted { Syscall.close(peer.fd) } }
    for _ in 0..<2 {
      let peer = try server.connect()
      admitted.append(peer)
      peer.startConnection()
      #expect(peer.readFrame()?.type == 0x4)
    }
    let refused = try server.connect()
    defer { Syscall.close(refused.fd) }
    #expect(Self.readUntilClosed(refused)?.isEmpty == true)
    #expect(limits.counters.closed(.maxConnections) == 1)
    #expect(limits.counters.openConnections == 2)
    for peer in admitted { #expect(Self.pingIsAnswered(peer)) }
  }

  // MARK: - Building blocks

  /// Limits with every timeout off and no practical cap, for a test to turn one on.
  static func limitsOff() -> HTTP2ServerLimits {
    var limits = HTTP2ServerLimits()
    limits.prefaceTimeout = nil
    limits.idleTimeout = nil
    limits.streamIdleTimeout = nil
    limits.maxConnections = 1 << 20
    return limits
  }

  /// Request fields for the echo server.
  static func request(_ path: String) -> [UInt8] {
    RawPeer.requestFields(path: path)
  }

  /// The frames read until the server closed the connection, or nil if it did not within the
  /// peer's guard timeout.
  static func readUntilClosed(_ peer: RawPeer) -> [RawPeer.Frame]? {
    var frames: [RawPeer.Frame] = []
    while let frame = peer.readFrame() { frames.append(frame) }
    var byte: UInt8 = 0
    let received = recv(peer.fd, &byte, 1, Int32(MSG_DONTWAIT))
    return received == 0 || (received < 0 && errno == ECONNRESET) ? frames : nil
  }

  /// Sends a PING and reads until its ACK (true) or the connection's end (false).
  static func pingIsAnswered(_ peer: RawPeer) -> Bool {
    let opaque: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
    peer.sendFrame(type: 0x6, flags: 0, stream: 0, payload: opaque)
    while let frame = peer.readFrame() {
      if frame.type == 0x6, frame.flags & 0x1 != 0, frame.payload == opaque { return true }
    }
    return false
  }

  /// The echoed body of `stream`, once its trailers end it (nil if it was reset or the
  /// connection ended first).
  static func answer(on stream: UInt32, from peer: RawPeer) -> [UInt8]? {
    var body: [UInt8] = []
    while let frame = peer.readFrame() {
      guard frame.stream == stream else { continue }
      switch frame.type {
      case 0x0: body += frame.payload
      case 0x3: return nil
      default: break
      }
      if frame.flags & 0x1 != 0 { return body }
    }
    return nil
  }
}

/// An `HTTP2Server` of echo connections on 127.0.0.1 (one loop), with the given limits.
private struct TestServer {
  let group: EventLoopGroup
  let server: HTTP2Server
  let port: Int

  init(limits: HTTP2ServerLimits) throws {
    group = try EventLoopGroup(count: 1)
    var configuration = HTTP2Server.Configuration(host: "127.0.0.1", port: 0)
    configuration.limits = limits
    server = HTTP2Server(
      configuration: configuration, group: group, logger: Logger(label: "test")
    ) { _ in HTTP2ConnectionTests.EchoServer() }
    port = try server.start().port
  }

  /// A blocking TCP connection to the server.
  func connect() throws -> RawPeer {
    let (fd, error) = connectLoopback(port: port)
    guard error == 0 else {
      if fd >= 0 { Glibc.close(fd) }
      throw TLSTestSetupError("cannot connect: \(error)")
    }
    return RawPeer(fd: fd)
  }

  func stop() {
    group.stop()
    group.join()
  }
}
