/// ASCII byte classes for the PII scan, as a table: one load per byte on the hot path.
enum ByteClass {
  static let digit: UInt16 = 1
  static let upper: UInt16 = 2
  static let lower: UInt16 = 4
  static let at: UInt16 = 8
  static let colon: UInt16 = 16
  static let dash: UInt16 = 32
  static let underscore: UInt16 = 64
  static let space: UInt16 = 128
  static let dot: UInt16 = 256

  /// The class bits of every byte value (non-ASCII bytes have none).
  static let table: [UInt16] = (0..<256).map { value in
    switch UInt8(value) {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): upper
    case UInt8(ascii: "a")...UInt8(ascii: "z"): lower
    case UInt8(ascii: "@"): at
    case UInt8(ascii: ":"): colon
    case UInt8(ascii: "-"): dash
    case UInt8(ascii: "_"): underscore
    case UInt8(ascii: "."): dot
    case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: space
    default: 0
    }
  }

  @inline(__always)
  static func isAlphanumeric(_ byte: UInt8) -> Bool {
    byte &- 48 < 10 || (byte | 0x20) &- 97 < 26
  }

  @inline(__always)
  static func isHex(_ byte: UInt8) -> Bool {
    byte &- 48 < 10 || (byte | 0x20) &- 97 < 6
  }

  @inline(__always)
  static func isSpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte &- 0x09 < 5
  }
}
