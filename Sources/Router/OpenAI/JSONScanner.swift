import TextCoding

/// A single-pass, allocation-light JSON reader over UTF-8 bytes (RFC 8259).
///
/// It reads the values a caller asks for and skips (while still validating) everything else,
/// so parsing a request costs one linear scan of the body. Strings without escapes decode with
/// one UTF-8 validation; escapes, including `\uXXXX` surrogate pairs, are decoded exactly
/// (a lone surrogate becomes U+FFFD).
///
/// Only valid inside the `withUnsafeBufferPointer` scope of the bytes it reads.
struct JSONScanner {
  /// Why the bytes are not JSON, and where.
  struct SyntaxError: Error, Equatable {
    var offset: Int
    var reason: String
  }

  /// Nesting deeper than this is refused (protects the stack when skipping).
  static let maximumDepth = 128

  let bytes: UnsafeBufferPointer<UInt8>
  private(set) var index = 0

  init(_ bytes: UnsafeBufferPointer<UInt8>) {
    self.bytes = bytes
  }

  // MARK: - Low level

  var isAtEnd: Bool { index >= bytes.count }

  mutating func skipWhitespace() {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x0A, 0x0D, 0x09: index += 1
      default: return
      }
    }
  }

  /// The next non-whitespace byte, not consumed.
  mutating func peek() -> UInt8? {
    skipWhitespace()
    return index < bytes.count ? bytes[index] : nil
  }

  func error(_ reason: String) -> SyntaxError {
    SyntaxError(offset: index, reason: reason)
  }

  mutating func expect(_ byte: UInt8) throws(SyntaxError) {
    guard peek() == byte else {
      throw error(
        isAtEnd
          ? "unexpected end of input, expected '\(Character(Unicode.Scalar(byte)))'"
          : "expected '\(Character(Unicode.Scalar(byte)))'")
    }
    index += 1
  }

  /// Consumes `{` and reports whether the object has members (false for `{}`).
  mutating func beginObject() throws(SyntaxError) -> Bool {
    try expect(UInt8(ascii: "{"))
    if peek() == UInt8(ascii: "}") {
      index += 1
      return false
    }
    return true
  }

  /// Consumes `[` and reports whether the array has elements (false for `[]`).
  mutating func beginArray() throws(SyntaxError) -> Bool {
    try expect(UInt8(ascii: "["))
    if peek() == UInt8(ascii: "]") {
      index += 1
      return false
    }
    return true
  }

  /// After a member or element: consumes `,` (true: another follows) or `close` (false).
  mutating func nextOrEnd(_ close: UInt8) throws(SyntaxError) -> Bool {
    switch peek() {
    case UInt8(ascii: ","):
      index += 1
      return true
    case close:
      index += 1
      return false
    case nil:
      throw error("unexpected end of input")
    default:
      throw error("expected ',' or '\(Character(Unicode.Scalar(close)))'")
    }
  }

  // MARK: - Keys

  /// An object key: the raw bytes between the quotes, decoded only when it has escapes.
  struct Key {
    var range: Range<Int>
    var decoded: String?
  }

  /// Reads `"key":`.
  mutating func readKey() throws(SyntaxError) -> Key {
    guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
    let start = index + 1
    let hasEscapes = try skipString()
    let key = Key(
      range: start..<(index - 1),
      decoded: hasEscapes ? try decodeString(from: start - 1) : nil)
    try expect(UInt8(ascii: ":"))
    return key
  }

  /// Whether `key` equals the ASCII `name`.
  func key(_ key: Key, is name: StaticString) -> Bool {
    if let decoded = key.decoded {
      return decoded.utf8.elementsEqual(
        UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }
    guard key.range.count == name.utf8CodeUnitCount else { return false }
    let pointer = name.utf8Start
    var offset = 0
    while offset < key.range.count {
      if bytes[key.range.lowerBound + offset] != pointer[offset] { return false }
      offset += 1
    }
    return true
  }

  // MARK: - Strings

  /// Reads a string value. Returns nil (consuming nothing) when the next value is not a string.
  mutating func readStringIfPresent() throws(SyntaxError) -> String? {
    guard peek() == UInt8(ascii: "\"") else { return nil }
    let start = index
    let hasEscapes = try skipString()
    if hasEscapes {
      return try decodeString(from: start)
    }
    let content = UnsafeBufferPointer(rebasing: bytes[(start + 1)..<(index - 1)])
    guard let string = String(validating: content, as: UTF8.self) else {
      throw SyntaxError(offset: start, reason: "string is not valid UTF-8")
    }
    return string
  }

  /// Skips a string starting at `index` (which holds `"`), validating control characters and
  /// escape syntax; returns whether it contained escapes.
  @discardableResult
  mutating func skipString() throws(SyntaxError) -> Bool {
    index += 1
    var hasEscapes = false
    while index < bytes.count {
      // Eight plain bytes at a time: a chat message is mostly text with nothing to look at.
      if index + 8 <= bytes.count,
        !Self.mayNeedAttention(
          UnsafeRawPointer(bytes.baseAddress.unsafelyUnwrapped + index).loadUnaligned(
            as: UInt64.self))
      {
        index += 8
        continue
      }
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        index += 1
        return hasEscapes
      }
      if byte == UInt8(ascii: "\\") {
        hasEscapes = true
        index += 1
        guard index < bytes.count else { break }
        switch bytes[index] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
          UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
          index += 1
        case UInt8(ascii: "u"):
          guard index + 4 < bytes.count,
            (1...4).allSatisfy({ HexDigit.value(bytes[index + $0]) != nil })
          else { throw error("invalid \\u escape") }
          index += 5
        default:
          throw error("invalid escape character")
        }
        continue
      }
      if byte < 0x20 { throw error("unescaped control character in string") }
      index += 1
    }
    throw error("unterminated string")
  }

  /// Whether any of the eight bytes of `word` is a quote, a backslash or a control character
  /// (below 0x20), by the carry tricks of "Bit Twiddling Hacks" (`haszero`, `hasless`): exact
  /// about whether one is present, which is all this asks.
  @inline(__always)
  private static func mayNeedAttention(_ word: UInt64) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let quotes = word ^ (ones &* 0x22)
    let backslashes = word ^ (ones &* 0x5C)
    let zeroInQuotes = (quotes &- ones) & ~quotes
    let zeroInBackslashes = (backslashes &- ones) & ~backslashes
    let belowSpace = (word &- ones &* 0x20) & ~word
    return (zeroInQuotes | zeroInBackslashes | belowSpace) & highs != 0
  }

  /// Decodes the (already validated) string whose opening quote is at `start`.
  private func decodeString(from start: Int) throws(SyntaxError) -> String {
    var output: [UInt8] = []
    output.reserveCapacity(index - start)
    var position = start + 1
    while true {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") { break }
      guard byte == UInt8(ascii: "\\") else {
        output.append(byte)
        position += 1
        continue
      }
      let escape = bytes[position + 1]
      position += 2
      switch escape {
      case UInt8(ascii: "b"): output.append(0x08)
      case UInt8(ascii: "f"): output.append(0x0C)
      case UInt8(ascii: "n"): output.append(0x0A)
      case UInt8(ascii: "r"): output.append(0x0D)
      case UInt8(ascii: "t"): output.append(0x09)
      case UInt8(ascii: "u"):
        var scalar = hex4(at: position)
        position += 4
        if (0xD800...0xDBFF).contains(scalar) {
          if bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
            let low = hex4(at: position + 2)
            if (0xDC00...0xDFFF).contains(low) {
              scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
              position += 6
            } else {
              scalar = 0xFFFD
            }
          } else {
            scalar = 0xFFFD
          }
        } else if (0xDC00...0xDFFF).contains(scalar) {
          scalar = 0xFFFD
        }
        Self.appendUTF8(scalar, to: &output)
      default: output.append(escape)  // " \ /
      }
    }
    guard let string = String(validating: output, as: UTF8.self) else {
      throw SyntaxError(offset: start, reason: "string is not valid UTF-8")
    }
    return string
  }

  private func hex4(at position: Int) -> UInt32 {
    var value: UInt32 = 0
    for offset in 0..<4 {
      value = value << 4 | UInt32(HexDigit.value(bytes[position + offset]) ?? 0)
    }
    return value
  }

  static func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
    switch scalar {
    case 0..<0x80:
      output.append(UInt8(scalar))
    case 0x80..<0x800:
      output.append(UInt8(0xC0 | scalar >> 6))
      output.append(UInt8(0x80 | scalar & 0x3F))
    case 0x800..<0x10000:
      output.append(UInt8(0xE0 | scalar >> 12))
      output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
      output.append(UInt8(0x80 | scalar & 0x3F))
    default:
      output.append(UInt8(0xF0 | scalar >> 18))
      output.append(UInt8(0x80 | scalar >> 12 & 0x3F))
      output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
      output.append(UInt8(0x80 | scalar & 0x3F))
    }
  }

  // MARK: - Other values

  /// Reads `true`/`false`; nil (consuming nothing) when the next value is not a boolean.
  mutating func readBoolIfPresent() throws(SyntaxError) -> Bool? {
    switch peek() {
    case UInt8(ascii: "t"):
      try literal("true")
      return true
    case UInt8(ascii: "f"):
      try literal("false")
      return false
    default:
      return nil
    }
  }

  /// Consumes `null` when it is next.
  mutating func readNullIfPresent() throws(SyntaxError) -> Bool {
    guard peek() == UInt8(ascii: "n") else { return false }
    try literal("null")
    return true
  }

  /// Reads a number; returns it as an integer when it is one in range, else nil (consumed).
  /// Returns nil without consuming when the next value is not a number.
  mutating func readIntegerIfPresent() throws(SyntaxError) -> Int?? {
    guard let byte = peek(), byte == UInt8(ascii: "-") || byte &- 48 < 10 else { return nil }
    let start = index
    try skipNumber()
    var value = 0
    var negative = false
    for position in start..<index {
      let digit = bytes[position]
      if digit == UInt8(ascii: "-") {
        negative = true
        continue
      }
      guard digit &- 48 < 10 else { return .some(nil) }
      let (product, overflow1) = value.multipliedReportingOverflow(by: 10)
      let (sum, overflow2) = product.addingReportingOverflow(Int(digit &- 48))
      if overflow1 || overflow2 { return .some(nil) }
      value = sum
    }
    return .some(negative ? -value : value)
  }

  private mutating func literal(_ text: StaticString) throws(SyntaxError) {
    let count = text.utf8CodeUnitCount
    guard index + count <= bytes.count else { throw error("invalid literal") }
    for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] {
      throw error("invalid literal")
    }
    index += count
  }

  private mutating func skipNumber() throws(SyntaxError) {
    if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
    guard index < bytes.count, bytes[index] &- 48 < 10 else { throw error("invalid number") }
    if bytes[index] == UInt8(ascii: "0") {
      index += 1
    } else {
      skipDigits()
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      index += 1
      guard index < bytes.count, bytes[index] &- 48 < 10 else { throw error("invalid number") }
      skipDigits()
    }
    if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
      index += 1
      if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")
      {
        index += 1
      }
      guard index < bytes.count, bytes[index] &- 48 < 10 else { throw error("invalid number") }
      skipDigits()
    }
  }

  private mutating func skipDigits() {
    while index < bytes.count, bytes[index] &- 48 < 10 { index += 1 }
  }

  /// Skips any value, validating it.
  mutating func skipValue(depth: Int = 0) throws(SyntaxError) {
    guard depth < Self.maximumDepth else { throw error("nesting too deep") }
    switch peek() {
    case UInt8(ascii: "\""):
      try skipString()
    case UInt8(ascii: "{"):
      guard try beginObject() else { return }
      repeat {
        _ = try readKey()
        try skipValue(depth: depth + 1)
      } while try nextOrEnd(UInt8(ascii: "}"))
    case UInt8(ascii: "["):
      guard try beginArray() else { return }
      repeat {
        try skipValue(depth: depth + 1)
      } while try nextOrEnd(UInt8(ascii: "]"))
    case UInt8(ascii: "t"): try literal("true")
    case UInt8(ascii: "f"): try literal("false")
    case UInt8(ascii: "n"): try literal("null")
    case nil: throw error("unexpected end of input")
    default: try skipNumber()
    }
  }

  /// Checks that only whitespace follows the top-level value.
  mutating func expectEnd() throws(SyntaxError) {
    if peek() != nil { throw error("unexpected data after the JSON value") }
  }

  /// A short name for the next value's JSON type, for error messages.
  mutating func nextValueKind() -> String {
    switch peek() {
    case UInt8(ascii: "\""): return "a string"
    case UInt8(ascii: "{"): return "an object"
    case UInt8(ascii: "["): return "an array"
    case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
    case UInt8(ascii: "n"): return "null"
    default: return "a number"
    }
  }
}
