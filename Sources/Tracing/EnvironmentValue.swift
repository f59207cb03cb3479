import TextCoding

/// Parsing of `OTEL_*` environment values as the OpenTelemetry configuration spec describes:
/// surrounding whitespace ignored, invalid values treated as unset.
enum EnvironmentValue {
  static func trimmed(_ raw: String?) -> String? {
    guard let raw else { return nil }
    let t = raw.trimmingSpaces()
    return t.isEmpty ? nil : t
  }

  static func positiveInt(_ raw: String?) -> Int? {
    guard let s = trimmed(raw), let v = Int(s), v > 0 else { return nil }
    return v
  }

  /// A non-negative integer number of milliseconds.
  static func milliseconds(_ raw: String?) -> Duration? {
    guard let s = trimmed(raw), let v = Int(s), v >= 0 else { return nil }
    return .milliseconds(v)
  }

  /// `true`/`false`, case-insensitive.
  static func bool(_ raw: String?) -> Bool? {
    switch trimmed(raw)?.lowercased() {
    case "true": true
    case "false": false
    default: nil
    }
  }

  /// A W3C-baggage-like list `k1=v1,k2=v2` with percent-decoded keys and values, as used by
  /// `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS`. Members without `=` or with an
  /// empty key are skipped.
  static func keyValueList(_ raw: String?) -> [(key: String, value: String)] {
    guard let s = trimmed(raw) else { return [] }
    var result: [(key: String, value: String)] = []
    for member in s.split(separator: ",") {
      guard let eq = member.firstIndex(of: "=") else { continue }
      let key = PercentEncoding.decode(member[..<eq].trimmingSpaces())
      let value = PercentEncoding.decode(member[member.index(after: eq)...].trimmingSpaces())
      guard !key.isEmpty else { continue }
      result.append((key, value))
    }
    return result
  }
}

extension StringProtocol {
  /// The string without leading and trailing spaces and tabs.
  func trimmingSpaces() -> String {
    var lo = startIndex
    var hi = endIndex
    while lo < hi, self[lo] == " " || self[lo] == "\t" { lo = index(after: lo) }
    while hi > lo, self[index(before: hi)] == " " || self[index(before: hi)] == "\t" {
      hi = index(before: hi)
    }
    return String(self[lo..<hi])
  }
}
