import Foundation
import Glibc
import Synchronization

/// A plain HTTP/1.1 peer on a loopback address for `HTTPClient` tests, serving each connection
/// on its own thread and recording every request with the connection it came on.
///
/// As an origin it sees `POST /v1/traces HTTP/1.1`; used as a client's proxy it sees the
/// absolute form `POST http://host:port/v1/traces HTTP/1.1` and answers it itself, or
/// `CONNECT host:port HTTP/1.1`, which it answers by relaying bytes to that loopback port. Every
/// other answer is 200 with `headers` and the body `connection=<n>` (n counts from 1).
final class TestHTTPPeer: Sendable {
  struct Request: Sendable {
    /// Which accepted connection carried it, from 1.
    var connection: Int
    var requestLine: String
    /// Header names lower-cased.
    var headers: [String: String]
    var body: [UInt8]
  }

  let port: Int
  private let listener: Int32
  private let headers: [(String, String)]
  private let bodyBytes: Int?
  private let state = Mutex(State())

  private struct State {
    var requests: [Request] = []
    var connections = 0
    var open: Set<Int32> = []
    var stopped = false
  }

  var requests: [Request] { state.withLock { $0.requests } }
  var connections: Int { state.withLock { $0.connections } }

  /// True when this machine can listen on `::1`.
  static let hasIPv6Loopback: Bool = {
    guard let peer = try? TestHTTPPeer(address: "::1") else { return false }
    peer.stop()
    return true
  }()

  /// Listens on `address` (IPv4 or IPv6 literal), on an ephemeral port. With `bodyBytes`, every
  /// answer's body is that many bytes instead.
  init(
    address: String = "127.0.0.1", headers: [(String, String)] = [], bodyBytes: Int? = nil
  ) throws {
    self.headers = headers
    self.bodyBytes = bodyBytes
    let family = address.contains(":") ? AF_INET6 : AF_INET
    let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw TLSTestSetupError("socket: \(errno)") }
    var storage = sockaddr_storage()
    var length: socklen_t
    if family == AF_INET6 {
      var v6 = sockaddr_in6()
      v6.sin6_family = sa_family_t(AF_INET6)
      inet_pton(AF_INET6, address, &v6.sin6_addr)
      withUnsafeBytes(of: v6) { bytes in
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
      }
      length = socklen_t(MemoryLayout<sockaddr_in6>.size)
    } else {
      var v4 = sockaddr_in()
      v4.sin_family = sa_family_t(AF_INET)
      inet_pton(AF_INET, address, &v4.sin_addr)
      withUnsafeBytes(of: v4) { bytes in
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
      }
      length = socklen_t(MemoryLayout<sockaddr_in>.size)
    }
    let bound = withUnsafeMutablePointer(to: &storage) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
        bind(fd, address, length) == 0 && listen(fd, 16) == 0
          && getsockname(fd, address, &length) == 0
      }
    }
    guard bound else {
      close(fd)
      throw TLSTestSetupError("cannot listen on \(address)")
    }
    // The port sits at the same offset in sockaddr_in and sockaddr_in6.
    port = withUnsafeBytes(of: storage) {
      Int(UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)))
    }
    listener = fd
    Thread { [self] in acceptConnections() }.start()
  }

  /// Stops accepting and closes every open connection; the serving threads end.
  func stop() {
    state.withLock { s in
      s.stopped = true
      for fd in s.open { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }
    Glibc.shutdown(listener, Int32(SHUT_RDWR))
  }

  private func acceptConnections() {
    defer { close(listener) }
    while true {
      let fd = accept(listener, nil, nil)
      guard fd >= 0 else { return }
      let number: Int? = state.withLock { s in
        guard !s.stopped else { return nil }
        s.connections += 1
        s.open.insert(fd)
        return s.connections
      }
      guard let number else {
        close(fd)
        return
      }
      Thread { [self] in
        serve(fd, connection: number)
        state.withLock { _ = $0.open.remove(fd) }
        close(fd)
      }.start()
    }
  }

  private func serve(_ fd: Int32, connection: Int) {
    var buffer: [UInt8] = []
    func fill() -> Bool {
      var chunk = [UInt8](repeating: 0, count: 65536)
      let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      guard n > 0 else { return false }
      buffer += chunk[0..<n]
      return true
    }
    let terminator: [UInt8] = [13, 10, 13, 10]
    while true {
      var headEnd: Int?
      while headEnd == nil {
        headEnd = buffer.indices.first { buffer[$0...].starts(with: terminator) }
        if headEnd == nil && !fill() { return }
      }
      let lines = String(decoding: buffer[0..<headEnd!], as: UTF8.self).split(separator: "\r\n")
      buffer.removeFirst(headEnd! + 4)
      var requestHeaders: [String: String] = [:]
      for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { return }
        requestHeaders[line[..<colon].lowercased()] = String(
          line[line.index(after: colon)...].drop { $0 == " " })
      }
      let length = Int(requestHeaders["content-length"] ?? "0") ?? 0
      while buffer.count < length { if !fill() { return } }
      state.withLock {
        $0.requests.append(
          Request(
            connection: connection, requestLine: String(lines[0]), headers: requestHeaders,
            body: Array(buffer[0..<length])))
      }
      buffer.removeFirst(length)
      if lines[0].hasPrefix("CONNECT ") {
        return tunnel(fd, to: String(lines[0].split(separator: " ")[1]), buffered: buffer)
      }
      let body = bodyBytes.map { [UInt8](repeating: 120, count: $0) }
        ?? Array("connection=\(connection)".utf8)
      var head = "HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\n"
      for (name, value) in headers { head += "\(name): \(value)\r\n" }
      guard sendAll(fd, Array((head + "\r\n").utf8) + body) else { return }
    }
  }

  /// Answers a `CONNECT` to `target` (`host:port`, any host meaning 127.0.0.1) and relays bytes
  /// both ways until either side closes.
  private func tunnel(_ client: Int32, to target: String, buffered: [UInt8]) {
    guard let port = target.split(separator: ":").last.flatMap({ UInt16($0) }) else { return }
    let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    defer { close(upstream) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
    let answer = connected ? "HTTP/1.1 200 Connection established" : "HTTP/1.1 502 Bad Gateway"
    guard sendAll(client, Array((answer + "\r\n\r\n").utf8)), connected,
      sendAll(upstream, buffered)
    else {
      return
    }
    var chunk = [UInt8](repeating: 0, count: 65536)
    var fds = [client, upstream].map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    while poll(&fds, 2, -1) > 0 {
      for (from, to) in [(0, 1), (1, 0)] where fds[from].revents != 0 {
        let n = chunk.withUnsafeMutableBytes { recv(fds[from].fd, $0.baseAddress, $0.count, 0) }
        guard n > 0, sendAll(fds[to].fd, Array(chunk[0..<n])) else { return }
      }
    }
  }

  private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var sent = 0
    while sent < bytes.count {
      let n = bytes.withUnsafeBytes {
        send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
      }
      guard n > 0 else { return false }
      sent += n
    }
    return true
  }
}
