/// Finds e-mail addresses (RFC 5321 mailbox shape) around each `@` of a token: a local part,
/// and a domain of at least two labels whose top-level label is alphabetic. `@Test`,
/// `@app.route` and `user@host` have no local part or no real domain, so they are not taken.
enum EmailDetector {
  /// The address around the `@` at `at` within `token`, if there is one.
  static func match(
    in text: UnsafeBufferPointer<UInt8>, token: Range<Int>, at: Int
  ) -> Range<Int>? {
    var start = at
    while start > token.lowerBound, isLocal(text[start - 1]) { start -= 1 }
    while start < at, text[start] == UInt8(ascii: ".") { start += 1 }
    guard start < at, at - start <= 64, text[at - 1] != UInt8(ascii: ".") else { return nil }
    var end = at + 1
    while end < token.upperBound, isDomain(text[end]) { end += 1 }
    // A full stop or hyphen ending the sentence is not part of the domain.
    while end > at + 1, text[end - 1] == UInt8(ascii: ".") || text[end - 1] == UInt8(ascii: "-") {
      end -= 1
    }
    guard end - at - 1 <= 253 else { return nil }
    var labels = 0
    var labelStart = at + 1
    var index = at + 1
    while index <= end {
      if index == end || text[index] == UInt8(ascii: ".") {
        let length = index - labelStart
        guard length > 0, length <= 63, text[labelStart] != UInt8(ascii: "-"),
          text[index - 1] != UInt8(ascii: "-")
        else { return nil }
        labels += 1
        if index == end {
          // The top-level label: letters only, two or more.
          guard length >= 2,
            (labelStart..<index).allSatisfy({ ByteClass.table[Int(text[$0])] & ByteClass.lower
              | ByteClass.table[Int(text[$0])] & ByteClass.upper != 0 })
          else { return nil }
        }
        labelStart = index + 1
      }
      index += 1
    }
    return labels >= 2 ? start..<end : nil
  }

  private static func isLocal(_ byte: UInt8) -> Bool {
    ByteClass.isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
      || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
  }

  private static func isDomain(_ byte: UInt8) -> Bool {
    ByteClass.isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
  }
}
