/// Byte-level text helpers shared by keyword matching and feature extraction (UTF-8 input).
///
/// Word characters are ASCII letters, digits, `_`, and every non-ASCII byte (so words in other
/// scripts stay whole). Case folding is ASCII only.
enum TextBytes {
  @inline(__always)
  static func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte &- 65 < 26 ? byte | 0x20 : byte
  }

  @inline(__always)
  static func isWordByte(_ byte: UInt8) -> Bool {
    byte >= 0x80 || (byte | 0x20) &- 97 < 26 || byte &- 48 < 10 || byte == 95
  }

  /// Whether `needle` occurs in `haystack` with a word boundary on each side where the needle
  /// itself starts or ends with a word character.
  static func containsWord(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let first = needle.first, needle.count <= haystack.count else { return false }
    let checkStart = isWordByte(first)
    let checkEnd = isWordByte(needle[needle.count - 1])
    let last = haystack.count - needle.count
    var index = 0
    while index <= last {
      if haystack[index] == first {
        var offset = 1
        while offset < needle.count, haystack[index + offset] == needle[offset] { offset += 1 }
        if offset == needle.count {
          let startOK = !checkStart || index == 0 || !isWordByte(haystack[index - 1])
          let end = index + needle.count
          let endOK = !checkEnd || end == haystack.count || !isWordByte(haystack[end])
          if startOK && endOK { return true }
        }
      }
      index += 1
    }
    return false
  }
}
