import Glibc

/// A small blocking HTTP/1.1 client for one origin, over plain TCP or TLS, used by the OTLP/HTTP
/// exporter.
///
/// Keeps one connection alive between requests and reconnects when it is gone; a request
/// that finds a reused connection closed before any response byte is sent once more on a new
/// connection. Every wait, the TLS handshake included, is bounded by the request's deadline
/// (non-blocking socket + `poll`). With TLS, a `TLSSession` sits between the socket and the
/// HTTP bytes. Confined to one thread (the span export thread).
public final class HTTP1Client {
  public let host: String
  public let port: Int
  /// TLS settings for an `https` origin; nil for plain TCP.
  public let tls: TLSConfiguration?
  private var fd: Int32 = -1
  /// The connection's TLS state, when `tls` is set and a connection is open.
  private var session: TLSSession?
  /// Bytes received after the end of the previous response (normally none).
  private var buffer: [UInt8] = []

  /// Largest response head and body we accept.
  private static let maxHeadBytes = 64 * 1024
  private static let maxBodyBytes = 16 * 1024 * 1024

  /// A client for `host:port`; with `tls`, every connection is TLS (the name checked is
  /// `tls.serverName`, else `host`).
  public init(host: String, port: Int, tls: TLSConfiguration? = nil) {
    self.host = host
    self.port = port
    self.tls = tls
  }

  deinit { close() }

  /// True while a kept-alive connection is open.
  public var isConnected: Bool { fd >= 0 }

  /// Closes the connection (the next request opens a new one). A TLS connection first gets a
  /// close_notify alert, sent only if the socket takes it at once.
  public func close() {
    if let session, fd >= 0 {
      session.close()
      let alert = session.takeCiphertextToSend()
      _ = alert.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
    session = nil
    if fd >= 0 { _ = Glibc.close(fd) }
    fd = -1
    buffer.removeAll()
  }

  /// The ALPN protocol the server chose on the open TLS connection, if any.
  public var negotiatedALPN: String? { session?.negotiatedALPN }

  /// Sends one request and reads the whole response, by `deadline`. `Host` and
  /// `Content-Length` are added; `headers` should not repeat them.
  public func request(
    method: String, path: String, headers: [(name: String, value: String)] = [],
    body: [UInt8] = [], deadline: ContinuousClock.Instant
  ) throws(HTTP1ClientError) -> HTTP1Response {
    var head = "\(method) \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    head += "Content-Length: \(body.count)\r\n\r\n"
    var message = Array(head.utf8)
    message.append(contentsOf: body)

    var retried = false
    while true {
      let reused = fd >= 0
      if !reused { try connect(deadline: deadline) }
      var receivedAny = false
      do {
        try sendAll(message, deadline: deadline)
        let (response, keepAlive) = try readResponse(
          deadline: deadline, isHead: method == "HEAD", receivedAny: &receivedAny)
        if !keepAlive { close() }
        return response
      } catch {
        close()
        let stale =
          reused && !receivedAny && (error.reason == .connectionClosed || error.reason == .io)
        if stale && !retried {
          retried = true
          continue
        }
        throw error
      }
    }
  }

  private var hostHeader: String {
    let h = host.contains(":") ? "[\(host)]" : host
    return port == (tls == nil ? 80 : 443) ? h : "\(h):\(port)"
  }

  // MARK: - Connection

  private func connect(deadline: ContinuousClock.Instant) throws(HTTP1ClientError) {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    hints.ai_flags = AI_NUMERICSERV
    var list: UnsafeMutablePointer<addrinfo>?
    let rc = getaddrinfo(host, String(port), &hints, &list)
    guard rc == 0, let first = list else {
      throw HTTP1ClientError(.resolve, "\(host): \(String(cString: gai_strerror(rc)))")
    }
    defer { freeaddrinfo(first) }
    var lastError = "no address"
    var entry: UnsafeMutablePointer<addrinfo>? = first
    while let ai = entry {
      entry = ai.pointee.ai_next
      let s = socket(
        ai.pointee.ai_family,
        Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
        0)
      guard s >= 0 else {
        lastError = Self.errnoText("socket")
        continue
      }
      if Glibc.connect(s, ai.pointee.ai_addr, ai.pointee.ai_addrlen) != 0 {
        guard errno == EINPROGRESS else {
          lastError = Self.errnoText("connect")
          _ = Glibc.close(s)
          continue
        }
        do {
          try wait(s, for: Int16(POLLOUT), deadline: deadline)
        } catch {
          _ = Glibc.close(s)
          throw error
        }
        var soError: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(s, SOL_SOCKET, SO_ERROR, &soError, &length)
        guard soError == 0 else {
          lastError = "connect: \(String(cString: strerror(soError)))"
          _ = Glibc.close(s)
          continue
        }
      }
      var one: Int32 = 1
      setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
      fd = s
      buffer.removeAll(keepingCapacity: true)
      if let tls {
        do throws(HTTP1ClientError) {
          try startTLS(tls, deadline: deadline)
        } catch {
          close()
          throw error
        }
      }
      return
    }
    throw HTTP1ClientError(.connect, "\(host):\(port): \(lastError)")
  }

  /// Runs the TLS handshake on the new connection, by `deadline`.
  private func startTLS(
    _ configuration: TLSConfiguration, deadline: ContinuousClock.Instant
  ) throws(HTTP1ClientError) {
    let session: TLSSession
    do throws(TLSError) {
      session = try TLSSession(configuration: configuration, host: host)
    } catch {
      throw HTTP1ClientError(.tls, error.message)
    }
    self.session = session
    while true {
      let progress: TLSSession.HandshakeProgress
      do throws(TLSError) {
        progress = try session.handshake()
      } catch {
        // Best effort: the peer learns why (the alert OpenSSL queued).
        try? sendRaw(session.takeCiphertextToSend(), deadline: deadline)
        throw HTTP1ClientError(.tls, "\(host):\(port): \(error.message)")
      }
      try sendRaw(session.takeCiphertextToSend(), deadline: deadline)
      if progress == .complete { return }
      var ciphertext: [UInt8] = []
      guard try receiveRaw(into: &ciphertext, deadline: deadline) else {
        throw HTTP1ClientError(.connectionClosed, "closed during the TLS handshake")
      }
      session.feedCiphertext(ciphertext)
    }
  }

  /// Waits until `socket` is ready for `events` or the deadline passes.
  private func wait(
    _ socket: Int32, for events: Int16, deadline: ContinuousClock.Instant
  ) throws(HTTP1ClientError) {
    while true {
      let remaining = ContinuousClock.now.duration(to: deadline)
      guard remaining > .zero else { throw HTTP1ClientError(.timeout, "deadline passed") }
      let (seconds, attoseconds) = remaining.components
      let millis = Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
      var pfd = pollfd(fd: socket, events: events, revents: 0)
      let rc = poll(&pfd, 1, millis)
      if rc > 0 { return }
      if rc == 0 { continue }
      if errno == EINTR { continue }
      throw HTTP1ClientError(.io, Self.errnoText("poll"))
    }
  }

  /// Sends `bytes` (encrypted first on a TLS connection).
  private func sendAll(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(HTTP1ClientError) {
    guard let session else { return try sendRaw(bytes, deadline: deadline) }
    do throws(TLSError) {
      try session.write(bytes)
    } catch {
      throw HTTP1ClientError(.tls, error.message)
    }
    try sendRaw(session.takeCiphertextToSend(), deadline: deadline)
  }

  /// Sends `bytes` as they are on the socket.
  private func sendRaw(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(HTTP1ClientError) {
    var sent = 0
    while sent < bytes.count {
      let n = bytes.withUnsafeBytes { raw in
        send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
      }
      if n > 0 {
        sent += n
        continue
      }
      let code = errno
      if n < 0 && (code == EAGAIN || code == EWOULDBLOCK) {
        try wait(fd, for: Int16(POLLOUT), deadline: deadline)
        continue
      }
      if n < 0 && code == EINTR { continue }
      if code == EPIPE || code == ECONNRESET {
        throw HTTP1ClientError(.connectionClosed, Self.errnoText("send"))
      }
      throw HTTP1ClientError(.io, Self.errnoText("send"))
    }
  }

  /// Receives more response bytes into `buffer` (decrypted on a TLS connection); returns false
  /// at end of stream (TLS close_notify or TCP end).
  private func receiveMore(deadline: ContinuousClock.Instant) throws(HTTP1ClientError) -> Bool {
    guard let session else { return try receiveRaw(into: &buffer, deadline: deadline) }
    var ciphertext: [UInt8] = []
    while true {
      let added: Int
      do throws(TLSError) {
        added = try session.readPlaintext(appendingTo: &buffer)
      } catch {
        throw HTTP1ClientError(.tls, error.message)
      }
      // Reading can queue records for the peer (a TLS 1.3 key update reply).
      try sendRaw(session.takeCiphertextToSend(), deadline: deadline)
      if added > 0 { return true }
      if session.receivedCloseNotify { return false }
      ciphertext.removeAll(keepingCapacity: true)
      // A TCP end without close_notify counts as the end too: the HTTP framing (length,
      // chunks) tells a truncated response apart.
      guard try receiveRaw(into: &ciphertext, deadline: deadline) else { return false }
      session.feedCiphertext(ciphertext)
    }
  }

  /// Receives the socket's next bytes into `bytes`; returns false at end of stream.
  private func receiveRaw(
    into bytes: inout [UInt8], deadline: ContinuousClock.Instant
  ) throws(HTTP1ClientError) -> Bool {
    var chunk = [UInt8](repeating: 0, count: 16 * 1024)
    while true {
      let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n > 0 {
        bytes.append(contentsOf: chunk[0..<n])
        return true
      }
      if n == 0 { return false }
      let code = errno
      if code == EAGAIN || code == EWOULDBLOCK {
        try wait(fd, for: Int16(POLLIN), deadline: deadline)
        continue
      }
      if code == EINTR { continue }
      if code == ECONNRESET { throw HTTP1ClientError(.connectionClosed, Self.errnoText("recv")) }
      throw HTTP1ClientError(.io, Self.errnoText("recv"))
    }
  }

  // MARK: - Response parsing

  private func readResponse(
    deadline: ContinuousClock.Instant, isHead: Bool, receivedAny: inout Bool
  ) throws(HTTP1ClientError) -> (HTTP1Response, keepAlive: Bool) {
    while true {
      // Head.
      var headEnd: Int?
      while true {
        headEnd = Self.find([13, 10, 13, 10], in: buffer)
        if headEnd != nil { break }
        guard buffer.count <= Self.maxHeadBytes else {
          throw HTTP1ClientError(.malformedResponse, "response head too large")
        }
        guard try receiveMore(deadline: deadline) else {
          throw HTTP1ClientError(.connectionClosed, "closed before the response head")
        }
        receivedAny = true
      }
      receivedAny = true
      let headBytes = buffer[0..<headEnd!]
      buffer.removeFirst(headEnd! + 4)
      let lines = String(decoding: headBytes, as: UTF8.self).split(
        separator: "\r\n", omittingEmptySubsequences: false)
      let statusParts = lines[0].split(separator: " ", maxSplits: 2)
      guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."),
        let status = Int(statusParts[1]), (100...999).contains(status)
      else { throw HTTP1ClientError(.malformedResponse, "bad status line: \(lines[0])") }
      var headers: [(name: String, value: String)] = []
      for line in lines.dropFirst() where !line.isEmpty {
        guard let colon = line.firstIndex(of: ":") else {
          throw HTTP1ClientError(.malformedResponse, "bad header line")
        }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
        headers.append((name, String(value.reversed().drop { $0 == " " || $0 == "\t" }.reversed())))
      }
      if (100..<200).contains(status) { continue }  // interim response (e.g. 100 Continue)
      let response = HTTP1Response(status: status, headers: headers, body: [])
      let connection = response.header("connection")?.lowercased()
      var keepAlive = statusParts[0] == "HTTP/1.1" ? connection != "close" : connection == "keep-alive"
      var body: [UInt8] = []
      if isHead || status == 204 || status == 304 {
        // No body.
      } else if response.header("transfer-encoding")?.lowercased().contains("chunked") == true {
        body = try readChunked(deadline: deadline)
      } else if let lengthText = response.header("content-length") {
        guard let length = Int(lengthText), length >= 0, length <= Self.maxBodyBytes else {
          throw HTTP1ClientError(.malformedResponse, "bad content-length \(lengthText)")
        }
        while buffer.count < length {
          guard try receiveMore(deadline: deadline) else {
            throw HTTP1ClientError(.connectionClosed, "closed inside the response body")
          }
        }
        body = Array(buffer[0..<length])
        buffer.removeFirst(length)
      } else {
        while try receiveMore(deadline: deadline) {
          guard buffer.count <= Self.maxBodyBytes else {
            throw HTTP1ClientError(.malformedResponse, "response body too large")
          }
        }
        body = buffer
        buffer.removeAll()
        keepAlive = false
      }
      var complete = response
      complete.body = body
      return (complete, keepAlive)
    }
  }

  private func readChunked(deadline: ContinuousClock.Instant) throws(HTTP1ClientError) -> [UInt8] {
    var body: [UInt8] = []
    while true {
      let line = try readLine(deadline: deadline)
      let sizeText = line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
      guard let size = Int(sizeText.trimmingCharacters(), radix: 16), size >= 0,
        body.count + size <= Self.maxBodyBytes
      else { throw HTTP1ClientError(.malformedResponse, "bad chunk size \(line)") }
      if size == 0 {
        // Trailers, up to the empty line.
        while try !readLine(deadline: deadline).isEmpty {}
        return body
      }
      while buffer.count < size + 2 {
        guard try receiveMore(deadline: deadline) else {
          throw HTTP1ClientError(.connectionClosed, "closed inside a chunk")
        }
      }
      body.append(contentsOf: buffer[0..<size])
      buffer.removeFirst(size + 2)
    }
  }

  private func readLine(deadline: ContinuousClock.Instant) throws(HTTP1ClientError) -> String {
    while true {
      if let end = Self.find([13, 10], in: buffer) {
        let line = String(decoding: buffer[0..<end], as: UTF8.self)
        buffer.removeFirst(end + 2)
        return line
      }
      guard buffer.count <= Self.maxHeadBytes else {
        throw HTTP1ClientError(.malformedResponse, "line too long")
      }
      guard try receiveMore(deadline: deadline) else {
        throw HTTP1ClientError(.connectionClosed, "closed inside a chunked body")
      }
    }
  }

  private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
      if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
    }
    return nil
  }

  private static func errnoText(_ function: String) -> String {
    "\(function): \(String(cString: strerror(errno)))"
  }
}

@available(*, unavailable)
extension HTTP1Client: Sendable {}

extension StringProtocol {
  fileprivate func trimmingCharacters() -> String {
    String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
  }
}
