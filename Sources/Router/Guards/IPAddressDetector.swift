/// Finds IPv4 (dotted quad, RFC 791 ranges) and IPv6 (RFC 4291 text forms, with `::` and an
/// embedded IPv4 tail) addresses inside one whitespace-free token.
enum IPAddressDetector {
  /// The IP addresses in `token` (byte offsets into `text`), appended to `matches`.
  static func find(
    in text: UnsafeBufferPointer<UInt8>, token: Range<Int>, into matches: inout [PIIMatch]
  ) {
    var index = token.lowerBound
    while index < token.upperBound {
      let byte = text[index]
      guard ByteClass.isHex(byte) || byte == UInt8(ascii: ":") else {
        index += 1
        continue
      }
      // A candidate starts at a boundary: not inside a word or a longer dotted number.
      if index > token.lowerBound, ByteClass.isAlphanumeric(text[index - 1])
        || text[index - 1] == UInt8(ascii: ".")
      {
        index += 1
        continue
      }
      var end = index
      while end < token.upperBound,
        ByteClass.isHex(text[end]) || text[end] == UInt8(ascii: ":")
          || text[end] == UInt8(ascii: ".")
      {
        end += 1
      }
      // A sentence's full stop or a port's colon is not part of the address.
      while end > index, text[end - 1] == UInt8(ascii: ".") { end -= 1 }
      let candidate = UnsafeBufferPointer(rebasing: text[index..<end])
      if end < token.upperBound, ByteClass.isAlphanumeric(text[end]) {
        // Runs into a word (`1.2.3.4abc`): not an address.
      } else if let length = ipv4Length(candidate), length == candidate.count {
        matches.append(PIIMatch(type: .ip, range: index..<end))
      } else if let length = ipv4Length(candidate), length < candidate.count,
        candidate[length] == UInt8(ascii: ":")
      {
        matches.append(PIIMatch(type: .ip, range: index..<(index + length)))  // with a port
      } else if isIPv6(candidate) {
        matches.append(PIIMatch(type: .ip, range: index..<end))
      }
      index = max(end, index + 1)
    }
  }

  /// The length of the dotted-quad IPv4 address at the start of `bytes`, if there is one
  /// followed by nothing but an optional `:port`.
  static func ipv4Length(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    var index = 0
    for part in 0..<4 {
      if part > 0 {
        guard index < bytes.count, bytes[index] == UInt8(ascii: ".") else { return nil }
        index += 1
      }
      let start = index
      var value = 0
      while index < bytes.count, bytes[index] &- 48 < 10, index - start < 3 {
        value = value * 10 + Int(bytes[index] &- 48)
        index += 1
      }
      let length = index - start
      guard length > 0, value <= 255, length == 1 || bytes[start] != UInt8(ascii: "0") else {
        return nil
      }
    }
    if index < bytes.count, bytes[index] != UInt8(ascii: ":") { return nil }
    return index
  }

  /// Whether `bytes` is a full IPv6 address: eight groups, or `::` with at least three groups
  /// (so `a::b` in code and `12:30:45` times are not taken for addresses).
  static func isIPv6(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard bytes.count >= 6 else { return false }
    var groups = 0
    var compressed = false
    var index = 0
    var groupLength = 0
    var previousColon = false
    var hasDigit = false
    if bytes.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
      compressed = true
      index = 2
      previousColon = true
    } else if bytes[0] == UInt8(ascii: ":") {
      return false
    }
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: ":") {
        if previousColon {
          if compressed || groupLength > 0 { return false }
          compressed = true
        } else {
          groups += 1
          groupLength = 0
        }
        previousColon = true
      } else if byte == UInt8(ascii: ".") {
        // An embedded IPv4 address ends the text and counts as two groups.
        var start = index - groupLength
        while start > 0, bytes[start - 1] != UInt8(ascii: ":") { start -= 1 }
        let tail = UnsafeBufferPointer(rebasing: bytes[start...])
        guard ipv4Length(tail) == tail.count else { return false }
        groups += 2
        groupLength = 0
        previousColon = false
        hasDigit = true
        index = bytes.count
        break
      } else {
        guard ByteClass.isHex(byte), groupLength < 4 else { return false }
        if byte &- 48 < 10 { hasDigit = true }
        groupLength += 1
        previousColon = false
      }
      index += 1
    }
    if groupLength > 0 { groups += 1 }
    if previousColon, !bytes.isEmpty, bytes[bytes.count - 1] == UInt8(ascii: ":"),
      !(bytes.count >= 2 && bytes[bytes.count - 2] == UInt8(ascii: ":"))
    {
      return false  // a single trailing colon
    }
    guard hasDigit else { return false }
    return compressed ? (3...7).contains(groups) : groups == 8
  }
}
