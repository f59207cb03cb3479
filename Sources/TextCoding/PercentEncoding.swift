/// `%XX` escapes of UTF-8 bytes (RFC 3986 §2.1), for the texts that use them: gRPC's
/// `grpc-message` trailer, W3C `baggage` values, `OTEL_RESOURCE_ATTRIBUTES` and
/// `OTEL_EXPORTER_OTLP_HEADERS`.
///
/// Decoding is the same for all of them; encoding differs only in which bytes stay as they are,
/// so that is a parameter.
package enum PercentEncoding {
  /// Encodes every byte of `text` for which `isPlain` is false, and `%` itself, as `%XX`
  /// (upper-case hex). Returns `text` as it is when nothing needs escaping.
  package static func encode(_ text: String, keeping isPlain: (UInt8) -> Bool) -> String {
    let utf8 = text.utf8
    func stays(_ byte: UInt8) -> Bool { byte != UInt8(ascii: "%") && isPlain(byte) }
    if utf8.allSatisfy(stays) { return text }
    var encoded: [UInt8] = []
    encoded.reserveCapacity(utf8.count * 3)
    for byte in utf8 {
      if stays(byte) {
        encoded.append(byte)
      } else {
        encoded.append(UInt8(ascii: "%"))
        encoded.append(HexDigit.upperCase[Int(byte >> 4)])
        encoded.append(HexDigit.upperCase[Int(byte & 0x0F)])
      }
    }
    return String(decoding: encoded, as: UTF8.self)
  }

  /// Decodes `%XX` escapes (hex of either case); a malformed escape is kept as written (the gRPC
  /// spec asks receivers not to fail on one). Bytes that do not form UTF-8 become U+FFFD.
  package static func decode(_ text: some StringProtocol) -> String {
    guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
    let bytes = Array(text.utf8)
    var decoded: [UInt8] = []
    decoded.reserveCapacity(bytes.count)
    var index = 0
    while index < bytes.count {
      if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
        let high = HexDigit.value(bytes[index + 1]), let low = HexDigit.value(bytes[index + 2])
      {
        decoded.append(high << 4 | low)
        index += 3
      } else {
        decoded.append(bytes[index])
        index += 1
      }
    }
    return String(decoding: decoded, as: UTF8.self)
  }

  /// The bytes a `grpc-message` carries as they are: printable ASCII, 0x20...0x7E (gRPC over
  /// HTTP/2, "Status-Message").
  package static func isGRPCMessageOctet(_ byte: UInt8) -> Bool {
    byte >= 0x20 && byte <= 0x7E
  }

  /// The bytes a `baggage` value carries as they are: `baggage-octet` (W3C Baggage §3.3.1:
  /// printable ASCII but space, `"`, `,`, `;` and `\`).
  package static func isBaggageOctet(_ byte: UInt8) -> Bool {
    byte == 0x21 || (0x23...0x2B).contains(byte) || (0x2D...0x3A).contains(byte)
      || (0x3C...0x5B).contains(byte) || (0x5D...0x7E).contains(byte)
  }
}
