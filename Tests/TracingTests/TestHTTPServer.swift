import Foundation
import Glibc
import Synchronization

/// A tiny HTTP/1.1 server on 127.0.0.1 for exporter tests: answers each request with what
/// `respond` returns, keeps connections alive unless told not to, records every request.
final class TestHTTPServer: Sendable {
  struct Request: Sendable {
    var method: String
    var path: String
    var headers: [String: String]
    var body: [UInt8]
  }

  struct Response: Sendable {
    var status: Int
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    var close = false
  }

  let port: Int
  private let listener: Int32
  private let state = Mutex(State())
  private let done = Atomic<Bool>(false)

  private struct State {
    var requests: [Request] = []
    var connections = 0
    var openConnection: Int32 = -1
  }

  var requests: [Request] { state.withLock { $0.requests } }
  var connections: Int { state.withLock { $0.connections } }

  /// Starts listening on an ephemeral port; `respond` gets each request and its index.
  init(respond: @escaping @Sendable (Request, Int) -> Response) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(4))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        precondition(bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0)
      }
    }
    precondition(listen(fd, 16) == 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
    }
    listener = fd
    port = Int(UInt16(bigEndian: address.sin_port))
    let thread = Thread { [self] in serve(respond) }
    thread.start()
  }

  /// Stops accepting and closes the open connection; the serving thread ends.
  func stop() {
    done.store(true, ordering: .relaxed)
    Glibc.shutdown(listener, Int32(SHUT_RDWR))
    state.withLock { s in
      if s.openConnection >= 0 { Glibc.shutdown(s.openConnection, Int32(SHUT_RDWR)) }
    }
  }

  private func serve(_ respond: @Sendable (Request, Int) -> Response) {
    defer { close(listener) }
    while !done.load(ordering: .relaxed) {
      let connection = accept(listener, nil, nil)
      guard connection >= 0 else { return }
      state.withLock {
        $0.connections += 1
        $0.openConnection = connection
      }
      handle(connection, respond)
      state.withLock { $0.openConnection = -1 }
      close(connection)
    }
  }

  private func handle(_ fd: Int32, _ respond: @Sendable (Request, Int) -> Response) {
    var buffer: [UInt8] = []
    func fill() -> Bool {
      var chunk = [UInt8](repeating: 0, count: 65536)
      let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      guard n > 0 else { return false }
      buffer += chunk[0..<n]
      return true
    }
    while true {
      var headEnd: Int?
      while headEnd == nil {
        headEnd = (0..<max(buffer.count - 3, 0)).first {
          buffer[$0] == 13 && buffer[$0 + 1] == 10 && buffer[$0 + 2] == 13 && buffer[$0 + 3] == 10
        }
        if headEnd == nil && !fill() { return }
      }
      let lines = String(decoding: buffer[0..<headEnd!], as: UTF8.self).split(separator: "\r\n")
      buffer.removeFirst(headEnd! + 4)
      let requestLine = lines[0].split(separator: " ")
      var headers: [String: String] = [:]
      for line in lines.dropFirst() {
        let colon = line.firstIndex(of: ":")!
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
          .trimmingPrefix(" ").description
      }
      let length = Int(headers["content-length"] ?? "0")!
      while buffer.count < length { if !fill() { return } }
      let request = Request(
        method: String(requestLine[0]), path: String(requestLine[1]), headers: headers,
        body: Array(buffer[0..<length]))
      buffer.removeFirst(length)
      let index = state.withLock { s in
        s.requests.append(request)
        return s.requests.count - 1
      }
      let response = respond(request, index)
      var head = "HTTP/1.1 \(response.status) X\r\nContent-Length: \(response.body.count)\r\n"
      for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
      if response.close { head += "Connection: close\r\n" }
      let bytes = Array((head + "\r\n").utf8) + response.body
      _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if response.close { return }
    }
  }
}
