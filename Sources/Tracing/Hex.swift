import TextCoding

/// Lower-case hexadecimal conversion for ids and flags in `traceparent` (W3C Trace Context §3.2).
///
/// The spec allows only lower-case digits (`HEXDIGLC`), so parsing rejects upper-case.
enum Hex {
  /// The value of one lower-case hex digit, or nil.
  @inline(__always)
  static func nibble(_ c: UInt8) -> UInt64? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt64(c &- UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt64(c &- UInt8(ascii: "a") &+ 10)
    default: return nil
    }
  }

  /// Parses `count` (≤ 16) lower-case hex digits starting at `start` as a big-endian value.
  static func parse(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, count: Int) -> UInt64? {
    var value: UInt64 = 0
    for i in start..<(start + count) {
      guard let n = nibble(bytes[i]) else { return nil }
      value = value << 4 | n
    }
    return value
  }

  /// Writes `value` as `count` (≤ 16) lower-case hex digits, most significant first.
  static func write(
    _ value: UInt64, count: Int, into out: UnsafeMutableBufferPointer<UInt8>, at start: Int
  ) {
    HexDigit.lowerCase.withUnsafeBufferPointer { table in
      var v = value
      var i = start + count - 1
      while i >= start {
        out[i] = table[Int(v & 0xF)]
        v >>= 4
        i -= 1
      }
    }
  }

  /// `value` as `count` lower-case hex digits.
  static func string(_ value: UInt64, count: Int) -> String {
    String(unsafeUninitializedCapacity: count) { buffer in
      write(value, count: count, into: buffer, at: 0)
      return count
    }
  }
}
