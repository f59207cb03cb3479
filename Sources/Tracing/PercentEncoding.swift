/// Percent-decoding and encoding for `baggage` values, `OTEL_RESOURCE_ATTRIBUTES` and
/// `OTEL_EXPORTER_OTLP_HEADERS` (all use RFC 3986 `%XX` escapes of UTF-8).
enum PercentEncoding {
  /// Decodes `%XX` escapes; a malformed escape is kept as written.
  static func decode(_ s: some StringProtocol) -> String {
    guard s.utf8.contains(UInt8(ascii: "%")) else { return String(s) }
    let bytes = Array(s.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    while i < bytes.count {
      if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
        let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2])
      {
        out.append(hi << 4 | lo)
        i += 3
      } else {
        out.append(bytes[i])
        i += 1
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Encodes everything outside `baggage-octet`, and `%` itself, as `%XX`.
  static func encodeBaggageValue(_ s: String) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count)
    for c in s.utf8 {
      let plain =
        c == 0x21 || (0x23...0x2B).contains(c) || (0x2D...0x3A).contains(c)
        || (0x3C...0x5B).contains(c) || (0x5D...0x7E).contains(c)
      if plain && c != UInt8(ascii: "%") {
        out.append(c)
      } else {
        out.append(UInt8(ascii: "%"))
        out.append(Hex.upperDigits[Int(c >> 4)])
        out.append(Hex.upperDigits[Int(c & 0xF)])
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  private static func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
  }
}
