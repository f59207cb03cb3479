/// The numbers a query states, as a digest for the cache key. Two questions that differ only in
/// a number ask different things ("What is 15% of 80?" / "… of 90?"), yet their vectors hardly
/// differ: the lexical features fold every number into one feature, and a sentence embedding
/// puts such pairs above any usable threshold. Keying the numbers keeps those answers apart.
enum QueryNumbers {
  /// A stable digest of the query's digit runs, in order (each followed by a separator, so
  /// "1 23" and "12 3" differ); nil when the query has no digit.
  static func digest(of text: String) -> UInt64? {
    var text = text
    return text.withUTF8 { bytes in
      var runs: [UInt8] = []
      var inRun = false
      var index = 0
      while index < bytes.count {
        // Every request's whole query passes here: 8 bytes without a digit (most of a query)
        // are passed over at once.
        if !inRun, index + 8 <= bytes.count, !hasDigit(bytes, at: index) {
          index += 8
          continue
        }
        let byte = bytes[index]
        if isDigit(byte) {
          runs.append(byte)
          inRun = true
        } else if inRun {
          runs.append(UInt8(ascii: " "))
          inRun = false
        }
        index += 1
      }
      guard !runs.isEmpty else { return nil }
      if inRun { runs.append(UInt8(ascii: " ")) }
      return runs.withUnsafeBytes { ContentDigest.of($0) }
    }
  }

  @inline(__always)
  private static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

  /// Whether the 8 bytes at `offset` hold an ASCII digit: a byte in ("0" - 1, "9" + 1) by the
  /// bit-parallel range test (for each byte under 128; bytes from 128 up, UTF-8's multi-byte
  /// sequences, never count).
  @inline(__always)
  private static func hasDigit(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
    let word = UnsafeRawPointer(bytes.baseAddress! + offset).loadUnaligned(as: UInt64.self)
    let ones: UInt64 = 0x0101_0101_0101_0101
    let low7 = word & (ones &* 127)
    let belowTop = ones &* (127 + UInt64(UInt8(ascii: "9") + 1)) &- low7
    let aboveBottom = low7 &+ ones &* (127 - UInt64(UInt8(ascii: "0") - 1))
    return belowTop & ~word & aboveBottom & (ones &* 128) != 0
  }
}
