/// The `grpc-timeout` request header: 1 to 8 ASCII digits and a unit (H, M, S, m, u, n).
///
/// See the gRPC over HTTP/2 spec, "Timeout".
enum GRPCTimeout {
  /// The timeout in nanoseconds (saturating at `UInt64.max`), or nil when the value is
  /// malformed.
  static func parseNanoseconds(_ text: String) -> UInt64? {
    let utf8 = text.utf8
    guard utf8.count >= 2, utf8.count <= 9 else { return nil }
    var value: UInt64 = 0
    var digits = 0
    var unit: UInt8 = 0
    for (offset, byte) in utf8.enumerated() {
      if offset == utf8.count - 1 {
        unit = byte
      } else {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        digits += 1
      }
    }
    guard digits >= 1 else { return nil }
    let nanosecondsPerUnit: UInt64
    switch unit {
    case UInt8(ascii: "H"): nanosecondsPerUnit = 3_600_000_000_000
    case UInt8(ascii: "M"): nanosecondsPerUnit = 60_000_000_000
    case UInt8(ascii: "S"): nanosecondsPerUnit = 1_000_000_000
    case UInt8(ascii: "m"): nanosecondsPerUnit = 1_000_000
    case UInt8(ascii: "u"): nanosecondsPerUnit = 1_000
    case UInt8(ascii: "n"): nanosecondsPerUnit = 1
    default: return nil
    }
    let (product, overflow) = value.multipliedReportingOverflow(by: nanosecondsPerUnit)
    return overflow ? .max : product
  }

  /// Formats a timeout for a request header, in the coarsest unit that keeps it within 8 digits
  /// (rounded up, so a deadline is never shortened).
  static func format(nanoseconds: UInt64) -> String {
    let units: [(UInt64, Character)] = [
      (1, "n"), (1_000, "u"), (1_000_000, "m"), (1_000_000_000, "S"), (60_000_000_000, "M"),
      (3_600_000_000_000, "H"),
    ]
    for (size, unit) in units {
      let value = nanoseconds / size + (nanoseconds % size == 0 ? 0 : 1)
      if value <= 99_999_999 { return "\(value)\(unit)" }
    }
    return "99999999H"
  }
}
