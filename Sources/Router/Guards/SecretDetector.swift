/// Finds well-known credential formats: AWS access key ids, GitHub tokens (`ghp_`, `gho_`,
/// `ghu_`, `ghs_`, `ghr_`, `github_pat_`), Slack tokens (`xoxb-`, `xoxp-`...), the token
/// after `Bearer`, and PEM private-key blocks.
enum SecretDetector {
  /// AWS access key id prefixes (long-term `AKIA`, temporary `ASIA`, and the other unique-id
  /// prefixes IAM uses for keys).
  private static let awsPrefixes: [[UInt8]] = ["AKIA", "ASIA", "ABIA", "ACCA"].map {
    Array($0.utf8)
  }
  private static let githubPrefixes: [[UInt8]] = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"].map {
    Array($0.utf8)
  }
  private static let githubPAT = Array("github_pat_".utf8)
  private static let pemBegin = Array("-----BEGIN ".utf8)
  private static let pemPrivateKey = Array("PRIVATE KEY-----".utf8)
  private static let pemEnd = Array("-----END ".utf8)

  /// Token-shaped secrets inside `token`, appended to `matches`.
  static func findTokens(
    in text: UnsafeBufferPointer<UInt8>, token: Range<Int>, into matches: inout [PIIMatch]
  ) {
    var index = token.lowerBound
    while index < token.upperBound {
      let byte = text[index]
      let atBoundary = index == token.lowerBound || !ByteClass.isAlphanumeric(text[index - 1])
      guard atBoundary, byte == UInt8(ascii: "A") || byte == UInt8(ascii: "g")
        || byte == UInt8(ascii: "x")
      else {
        index += 1
        continue
      }
      if let end = secretEnd(in: text, at: index, limit: token.upperBound) {
        matches.append(PIIMatch(type: .secret, range: index..<end))
        index = end
      } else {
        index += 1
      }
    }
  }

  /// The end of the secret starting at `index`, if one starts there.
  private static func secretEnd(
    in text: UnsafeBufferPointer<UInt8>, at index: Int, limit: Int
  ) -> Int? {
    func has(_ prefix: [UInt8]) -> Bool {
      index + prefix.count <= limit
        && prefix.indices.allSatisfy { text[index + $0] == prefix[$0] }
    }
    func run(from start: Int, _ accepts: (UInt8) -> Bool) -> Int {
      var end = start
      while end < limit, accepts(text[end]) { end += 1 }
      return end
    }
    let alphanumeric = ByteClass.isAlphanumeric
    if awsPrefixes.contains(where: has) {
      let end = run(from: index + 4) { $0 &- 48 < 10 || $0 &- 65 < 26 }
      return end - index == 20 && (end == limit || !alphanumeric(text[end])) ? end : nil
    }
    if githubPrefixes.contains(where: has) {
      let end = run(from: index + 4, alphanumeric)
      return end - index - 4 >= 30 ? end : nil
    }
    if has(githubPAT) {
      let end = run(from: index + githubPAT.count) { alphanumeric($0) || $0 == 95 }
      return end - index - githubPAT.count >= 22 ? end : nil
    }
    if index + 5 <= limit, text[index] == UInt8(ascii: "x"), text[index + 1] == UInt8(ascii: "o"),
      text[index + 2] == UInt8(ascii: "x"), "abprse".utf8.contains(text[index + 3]),
      text[index + 4] == UInt8(ascii: "-")
    {
      let end = run(from: index + 5) { alphanumeric($0) || $0 == UInt8(ascii: "-") }
      return end - index - 5 >= 10 ? end : nil
    }
    return nil
  }

  /// Whether `token` is the word `Bearer` (any case).
  static func isBearerWord(_ text: UnsafeBufferPointer<UInt8>, token: Range<Int>) -> Bool {
    guard token.count == 6 else { return false }
    return zip(token, "bearer".utf8).allSatisfy { text[$0] | 0x20 == $1 }
  }

  /// Whether `token`, following `Bearer`, looks like a credential: 20 or more token
  /// characters (RFC 6750 `b64token`) with at least one digit.
  static func isBearerCredential(
    _ text: UnsafeBufferPointer<UInt8>, token: Range<Int>
  ) -> Range<Int>? {
    var end = token.lowerBound
    var digits = 0
    while end < token.upperBound {
      let byte = text[end]
      guard ByteClass.isAlphanumeric(byte) || "-._~+/=".utf8.contains(byte) else { break }
      if byte &- 48 < 10 { digits += 1 }
      end += 1
    }
    while end > token.lowerBound, text[end - 1] == UInt8(ascii: ".") { end -= 1 }
    return end - token.lowerBound >= 20 && digits > 0 ? token.lowerBound..<end : nil
  }

  /// The PEM private-key block starting at `index` (`-----BEGIN … PRIVATE KEY-----` through
  /// its END line; to the end of the text when the END line is missing), if one starts there.
  static func privateKeyBlock(in text: UnsafeBufferPointer<UInt8>, at index: Int) -> Range<Int>? {
    guard starts(text, at: index, with: pemBegin) else { return nil }
    // The label ends on the same line, within a few words.
    var headerEnd: Int?
    var cursor = index + pemBegin.count
    while cursor < text.count, cursor < index + 80, text[cursor] != 0x0A {
      if starts(text, at: cursor, with: pemPrivateKey) {
        headerEnd = cursor + pemPrivateKey.count
        break
      }
      cursor += 1
    }
    guard let headerEnd else { return nil }
    cursor = headerEnd
    while cursor < text.count {
      if text[cursor] == UInt8(ascii: "-"), starts(text, at: cursor, with: pemEnd) {
        var end = cursor + pemEnd.count
        while end < text.count, text[end] != 0x0A, !starts(text, at: end, with: pemPrivateKey) {
          end += 1
        }
        return index..<min(text.count, end + pemPrivateKey.count)
      }
      cursor += 1
    }
    return index..<text.count
  }

  private static func starts(
    _ text: UnsafeBufferPointer<UInt8>, at index: Int, with prefix: [UInt8]
  ) -> Bool {
    index + prefix.count <= text.count
      && prefix.indices.allSatisfy { text[index + $0] == prefix[$0] }
  }
}
