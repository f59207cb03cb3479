/// Appends JSON text to a byte buffer (just what the router emits: strings, numbers, literals).
enum JSONWriter {
  private static let hexDigits = Array("0123456789abcdef".utf8)

  /// Appends `string` as a JSON string literal: quotes, `\"`, `\\`, the short escapes and
  /// `\u00XX` for other control characters; everything else stays UTF-8 as it is.
  static func appendString(_ string: String, to output: inout [UInt8]) {
    output.append(UInt8(ascii: "\""))
    for byte in string.utf8 {
      switch byte {
      case UInt8(ascii: "\""): output.append(contentsOf: [0x5C, 0x22])
      case UInt8(ascii: "\\"): output.append(contentsOf: [0x5C, 0x5C])
      case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
      case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
      case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
      case 0..<0x20:
        output.append(contentsOf: Array("\\u00".utf8))
        output.append(hexDigits[Int(byte >> 4)])
        output.append(hexDigits[Int(byte & 0xF)])
      default: output.append(byte)
      }
    }
    output.append(UInt8(ascii: "\""))
  }

  /// Appends raw ASCII text (keys with punctuation, numbers, literals).
  static func appendRaw(_ text: String, to output: inout [UInt8]) {
    output.append(contentsOf: text.utf8)
  }
}
