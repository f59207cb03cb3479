/// Parses a request head (request line and header fields) from bytes received so far, by
/// RFC 9112 §2-5: lines end with CRLF (a bare LF is accepted), empty lines before the request
/// line are skipped, the head ends with an empty line. Pure, so it is tested without sockets.
enum HTTP1ServerRequestParser {
  enum Outcome {
    /// The head has not ended yet.
    case incomplete
    /// A whole head; bytes after it (a body) are not looked at.
    case complete(HTTP1ServerRequest)
    /// Answer with this status and close.
    case invalid(status: Int, reason: String)
  }

  private static let cr = UInt8(ascii: "\r")
  private static let lf = UInt8(ascii: "\n")

  /// Parses `bytes`; a head longer than `maxHeadBytes` is `invalid(431)`.
  static func parse(_ bytes: [UInt8], maxHeadBytes: Int, peerAddress: String = "")
    -> Outcome
  {
    var start = 0
    while start < bytes.count, bytes[start] == cr || bytes[start] == lf { start += 1 }
    guard let end = headEnd(bytes, from: start) else {
      if bytes.count >= maxHeadBytes {
        return .invalid(status: 431, reason: "request head larger than \(maxHeadBytes) bytes")
      }
      return .incomplete
    }
    if end > maxHeadBytes {
      return .invalid(status: 431, reason: "request head larger than \(maxHeadBytes) bytes")
    }
    var lines: [ArraySlice<UInt8>] = []
    var lineStart = start
    for index in start..<end where bytes[index] == lf {
      var line = bytes[lineStart..<index]
      if line.last == cr { line = line.dropLast() }
      if line.isEmpty { break }  // the empty line that ends the head
      lines.append(line)
      lineStart = index + 1
    }
    guard let requestLine = lines.first else {
      return .invalid(status: 400, reason: "empty request")
    }
    return parse(requestLine: requestLine, headerLines: lines.dropFirst(), peerAddress: peerAddress)
  }

  /// The index just past the empty line that ends the head, if it has arrived.
  private static func headEnd(_ bytes: [UInt8], from start: Int) -> Int? {
    var index = start
    while index < bytes.count {
      if bytes[index] == lf {
        if index + 1 < bytes.count, bytes[index + 1] == lf { return index + 2 }
        if index + 2 < bytes.count, bytes[index + 1] == cr, bytes[index + 2] == lf {
          return index + 3
        }
      }
      index += 1
    }
    return nil
  }

  private static func parse(
    requestLine: ArraySlice<UInt8>, headerLines: ArraySlice<ArraySlice<UInt8>>,
    peerAddress: String
  ) -> Outcome {
    let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
    guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
      return .invalid(status: 400, reason: "malformed request line")
    }
    guard parts[0].allSatisfy(isTokenByte) else {
      return .invalid(status: 400, reason: "malformed method")
    }
    guard parts[1].allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
      return .invalid(status: 400, reason: "malformed request target")
    }
    let version = String(decoding: parts[2], as: UTF8.self)
    guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
      let isHTTPVersion =
        version.utf8.count == 8 && version.hasPrefix("HTTP/")
        && version.utf8.enumerated().allSatisfy { index, byte in
          index < 5 || (index == 6 ? byte == UInt8(ascii: ".") : isDigit(byte))
        }
      return isHTTPVersion
        ? .invalid(status: 505, reason: "unsupported version \(version)")
        : .invalid(status: 400, reason: "malformed version")
    }
    var headers: [(name: String, value: String)] = []
    for line in headerLines {
      guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
        return .invalid(status: 400, reason: "header line without a colon")
      }
      let name = line[line.startIndex..<colon]
      // A space before the colon or a folded line (leading whitespace) are errors (§5.1, §5.2).
      guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
        return .invalid(status: 400, reason: "malformed header name")
      }
      var value = line[(colon + 1)...]
      while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
      while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
      guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
        return .invalid(status: 400, reason: "control character in header value")
      }
      headers.append(
        (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }
    if version == "HTTP/1.1" {
      let hosts = headers.lazy.filter { $0.name.lowercased() == "host" }.count
      guard hosts == 1 else {
        return .invalid(status: 400, reason: "HTTP/1.1 needs exactly one Host header")
      }
    }
    return .complete(
      HTTP1ServerRequest(
        method: String(decoding: parts[0], as: UTF8.self),
        target: String(decoding: parts[1], as: UTF8.self), version: version, headers: headers,
        peerAddress: peerAddress))
  }

  private static func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
  }

  /// `tchar` from RFC 9110 §5.6.2.
  private static func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"):
      true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"),
      UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"),
      UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"),
      UInt8(ascii: "~"):
      true
    default:
      false
    }
  }
}
