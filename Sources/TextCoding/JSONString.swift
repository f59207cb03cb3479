/// JSON string literals (RFC 8259 §7): `"` and `\` escaped, `\n`, `\r`, `\t` for those controls
/// and `\u00xx` for the other bytes below 0x20; everything else, non-ASCII included, stays UTF-8
/// as it is.
package enum JSONString {
  /// Appends `string` as a quoted JSON string literal.
  package static func append(_ string: String, to output: inout [UInt8]) {
    var string = string
    output.append(UInt8(ascii: "\""))
    string.withUTF8 { appendEscaped($0, to: &output) }
    output.append(UInt8(ascii: "\""))
  }

  /// `string` as a quoted JSON string literal.
  package static func quoted(_ string: String) -> String {
    var output: [UInt8] = []
    output.reserveCapacity(string.utf8.count + 2)
    append(string, to: &output)
    return String(decoding: output, as: UTF8.self)
  }

  /// Copies `bytes`, escaped, in runs: the bytes between two that need an escape go in one
  /// append (a message is mostly plain text).
  private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
    var runStart = 0
    for index in bytes.indices {
      let byte = bytes[index]
      guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
        continue
      }
      output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
      appendEscape(of: byte, to: &output)
      runStart = index + 1
    }
    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
  }

  private static func appendEscape(of byte: UInt8, to output: inout [UInt8]) {
    output.append(UInt8(ascii: "\\"))
    switch byte {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
    case 0x0A: output.append(UInt8(ascii: "n"))
    case 0x0D: output.append(UInt8(ascii: "r"))
    case 0x09: output.append(UInt8(ascii: "t"))
    default:
      output.append(UInt8(ascii: "u"))
      output.append(UInt8(ascii: "0"))
      output.append(UInt8(ascii: "0"))
      output.append(HexDigit.lowerCase[Int(byte >> 4)])
      output.append(HexDigit.lowerCase[Int(byte & 0x0F)])
    }
  }
}
