import Foundation
import Glibc
import Testing

@testable import Transport

/// `TLSSession` driven by hand over a blocking socket, as an event loop would drive it, against
/// a Python `ssl` peer; and the context and configuration checks that need no peer.
@Suite("TLSSession over memory buffers")
struct TLSSessionTests {
  /// A blocking TCP connection to 127.0.0.1 that moves a session's bytes.
  final class SocketPipe {
    let fd: Int32

    init(port: Int) throws {
      let error: Int32
      (fd, error) = connectLoopback(port: port)
      guard error == 0 else { throw TLSTestSetupError("connect: \(String(cString: strerror(error)))") }
      var timeout = timeval(tv_sec: 10, tv_usec: 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
      var sent = 0
      while sent < bytes.count {
        let n = bytes.withUnsafeBytes {
          Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
        }
        guard n > 0 else { return }
        sent += n
      }
    }

    /// The next bytes from the socket; empty at end of stream.
    func receive() -> [UInt8] {
      var chunk = [UInt8](repeating: 0, count: 16 * 1024)
      let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      return n > 0 ? Array(chunk[0..<n]) : []
    }

    /// Runs the handshake: send after every step, feed what arrives.
    func handshake(_ session: TLSSession) throws {
      while true {
        let progress: TLSSession.HandshakeProgress
        do {
          progress = try session.handshake()
        } catch {
          send(session.takeCiphertextToSend())
          throw error
        }
        send(session.takeCiphertextToSend())
        if progress == .complete { return }
        let bytes = receive()
        guard !bytes.isEmpty else { throw TLSTestSetupError("peer closed during the handshake") }
        session.feedCiphertext(bytes)
      }
    }

    /// Reads plaintext until `count` bytes or close_notify.
    func readPlaintext(_ session: TLSSession, count: Int) throws -> [UInt8] {
      var plaintext: [UInt8] = []
      while plaintext.count < count && !session.receivedCloseNotify {
        try session.readPlaintext(appendingTo: &plaintext)
        send(session.takeCiphertextToSend())
        if plaintext.count >= count || session.receivedCloseNotify { break }
        let bytes = receive()
        guard !bytes.isEmpty else { break }
        session.feedCiphertext(bytes)
      }
      return plaintext
    }
  }

  /// Runs `body` with fresh certificates and an echo server offering `alpn`.
  func withEchoServer(
    alpn: [String], _ body: (TLSTestCertificates, TLSTestServer) throws -> Void
  ) throws {
    let certificates = try TLSTestCertificates()
    defer { certificates.remove() }
    let server = try TLSTestServer(certificates: certificates, mode: .echo, alpn: alpn)
    defer { server.stop() }
    try body(certificates, server)
  }

  @Test func handshake_negotiatesH2_whenTheServerOffersIt() throws {
    try withEchoServer(alpn: ["h2", "http/1.1"]) { certificates, server throws in
      let session = try TLSSession(
        configuration: TLSConfiguration(caFile: certificates.caFile, alpnProtocols: ["h2"]),
        host: "127.0.0.1")
      let pipe = try SocketPipe(port: server.port)
      #expect(!session.isHandshakeComplete)
      try pipe.handshake(session)
      #expect(session.isHandshakeComplete)
      #expect(session.negotiatedALPN == "h2")
      #expect(session.protocolVersion == "TLSv1.3")
      // Several records each way.
      let line = "ping" + String(repeating: "x", count: 100_000) + "\n"
      try session.write(Array(line.utf8))
      pipe.send(session.takeCiphertextToSend())
      let expected = "h2:" + line.uppercased()
      let reply = try pipe.readPlaintext(session, count: expected.utf8.count)
      #expect(String(decoding: reply, as: UTF8.self) == expected)
    }
  }

  @Test func handshake_withoutACommonProtocol_agreesOnNone() throws {
    try withEchoServer(alpn: ["http/1.1"]) { certificates, server throws in
      let session = try TLSSession(
        configuration: TLSConfiguration(caFile: certificates.caFile, alpnProtocols: ["h2"]),
        host: "127.0.0.1")
      let pipe = try SocketPipe(port: server.port)
      try pipe.handshake(session)
      #expect(session.negotiatedALPN == nil)
    }
  }

  @Test func closeNotify_isReadFromThePeer_andOursReachesIt() throws {
    try withEchoServer(alpn: []) { certificates, server throws in
      let session = try TLSSession(
        configuration: TLSConfiguration(caFile: certificates.caFile), host: "localhost")
      let pipe = try SocketPipe(port: server.port)
      try pipe.handshake(session)
      try session.write(Array("bye\n".utf8))
      pipe.send(session.takeCiphertextToSend())
      let reply = try pipe.readPlaintext(session, count: .max)
      #expect(String(decoding: reply, as: UTF8.self) == "none:BYE\n")
      #expect(session.receivedCloseNotify)
      session.close()
      #expect(session.hasCiphertextToSend)
      pipe.send(session.takeCiphertextToSend())
      // The server finishes its unwrap only once our close_notify arrived, then talks plain.
      var plain: [UInt8] = []
      while !plain.contains(UInt8(ascii: "\n")) {
        let bytes = pipe.receive()
        guard !bytes.isEmpty else { break }
        plain += bytes
      }
      #expect(String(decoding: plain, as: UTF8.self) == "close_notify received\n")
      #expect(throws: TLSError.self) { try session.write(Array("late".utf8)) }
    }
  }

  @Test func handshake_againstAnUnknownCA_reportsTheVerifyResultAndQueuesAnAlert() throws {
    try withEchoServer(alpn: []) { _, server throws in
      let session = try TLSSession(configuration: TLSConfiguration(), host: "127.0.0.1")
      let pipe = try SocketPipe(port: server.port)
      let error = try #require(throws: TLSError.self) { try pipe.handshake(session) }
      #expect(error.reason == .certificateVerification)
      #expect(
        error.message == "certificate verify failed: self-signed certificate in certificate chain")
      // The failure sticks.
      #expect(throws: error) { try session.handshake() }
    }
  }

  @Test func write_beforeTheHandshake_isRefused() throws {
    let session = try TLSSession(
      configuration: TLSConfiguration(verifyPeer: false), host: "collector.example")
    #expect(throws: TLSError(.connection, "write before the TLS handshake completed")) {
      try session.write(Array("early".utf8))
    }
    #expect(try session.handshake() == .needsMoreCiphertext)
    let hello = session.takeCiphertextToSend()
    #expect(hello.first == 0x16)  // a handshake record: the ClientHello
    #expect(!session.hasCiphertextToSend)
    #expect(try session.readPlaintext().isEmpty)
  }

  @Test func sharedContext_isOnePerConfiguration_whateverTheServerName() throws {
    let a = try TLSContext.shared(for: TLSConfiguration(serverName: "a.example"))
    let b = try TLSContext.shared(for: TLSConfiguration(serverName: "b.example"))
    let h2 = try TLSContext.shared(for: TLSConfiguration(alpnProtocols: ["h2"]))
    #expect(a === b)
    #expect(a !== h2)
  }

  @Test func context_withAMissingCAFile_failsWithTheFileError() throws {
    let error = try #require(throws: TLSError.self) {
      try TLSContext(configuration: TLSConfiguration(caFile: "/nonexistent/ca.pem"))
    }
    #expect(error.reason == .configuration)
    #expect(error.message.hasPrefix("CA file /nonexistent/ca.pem: "))
    #expect(error.message.contains("No such file or directory"), "\(error.message)")
  }

  @Test func context_refusesBadALPNNamesAndAHalfClientCertificate() {
    #expect(throws: TLSError.self) {
      try TLSContext(configuration: TLSConfiguration(alpnProtocols: [""]))
    }
    #expect(throws: TLSError.self) {
      try TLSContext(configuration: TLSConfiguration(clientCertificateFile: "/tmp/cert.pem"))
    }
  }

  @Test func alpnWireFormat_prefixesEachNameWithItsLength() throws {
    let wire = try TLSConfiguration(alpnProtocols: ["h2", "http/1.1"]).alpnWireFormat()
    #expect(wire == [2] + Array("h2".utf8) + [8] + Array("http/1.1".utf8))
  }
}
