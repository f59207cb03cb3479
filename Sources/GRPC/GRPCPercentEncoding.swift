/// Percent-encoding of the `grpc-message` trailer: bytes outside 0x20...0x7E and '%' become
/// `%XX` (upper-case hex) of the UTF-8 encoding.
///
/// See the gRPC over HTTP/2 spec, "Status-Message".
enum GRPCPercentEncoding {
  static func encode(_ text: String) -> String {
    let utf8 = text.utf8
    if utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: "%") }) { return text }
    let hex = Array("0123456789ABCDEF".utf8)
    var encoded: [UInt8] = []
    encoded.reserveCapacity(utf8.count * 3)
    for byte in utf8 {
      if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%") {
        encoded.append(byte)
      } else {
        encoded.append(UInt8(ascii: "%"))
        encoded.append(hex[Int(byte >> 4)])
        encoded.append(hex[Int(byte & 0x0F)])
      }
    }
    return String(decoding: encoded, as: UTF8.self)
  }

  /// Decodes `%XX` sequences; a malformed sequence is kept as it is (the spec asks receivers
  /// not to fail on it).
  static func decode(_ text: String) -> String {
    let utf8 = Array(text.utf8)
    guard utf8.contains(UInt8(ascii: "%")) else { return text }
    var decoded: [UInt8] = []
    decoded.reserveCapacity(utf8.count)
    var index = 0
    while index < utf8.count {
      if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
        let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2])
      {
        decoded.append(high << 4 | low)
        index += 3
      } else {
        decoded.append(utf8[index])
        index += 1
      }
    }
    return String(decoding: decoded, as: UTF8.self)
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    default: nil
    }
  }
}
