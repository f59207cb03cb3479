/// Prometheus' grammar for metric and label names
/// (https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels).
enum MetricName {
  /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
  static func isValidMetricName(_ name: String) -> Bool {
    isValid(name, allowColon: true)
  }

  /// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
  static func isValidLabelName(_ name: String) -> Bool {
    isValid(name, allowColon: false) && !name.hasPrefix("__")
  }

  private static func isValid(_ name: String, allowColon: Bool) -> Bool {
    guard let first = name.utf8.first else { return false }
    func isLetter(_ c: UInt8) -> Bool {
      (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
        || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || c == UInt8(ascii: "_")
        || (allowColon && c == UInt8(ascii: ":"))
    }
    guard isLetter(first) else { return false }
    return name.utf8.dropFirst().allSatisfy {
      isLetter($0) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
    }
  }
}
