/// Hexadecimal digits: their values and the tables that write them.
package enum HexDigit {
  /// The 16 lower-case digits, indexed by nibble.
  package static let lowerCase: [UInt8] = Array("0123456789abcdef".utf8)
  /// The 16 upper-case digits, indexed by nibble (percent-encoding: RFC 3986 §2.1 recommends
  /// upper case).
  package static let upperCase: [UInt8] = Array("0123456789ABCDEF".utf8)

  /// The value of one hex digit of either case, or nil.
  @inlinable
  package static func value(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte &- UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte &- UInt8(ascii: "a") &+ 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte &- UInt8(ascii: "A") &+ 10
    default: nil
    }
  }
}
