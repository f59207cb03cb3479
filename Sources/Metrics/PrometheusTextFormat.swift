/// Rendering in the Prometheus text exposition format, version 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
public enum PrometheusTextFormat {
  /// The `Content-Type` of a rendered page.
  public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

  /// Renders families as `# HELP`, `# TYPE` and sample lines. Counters get the `_total` suffix
  /// when their name lacks it; histograms expand into cumulative `_bucket{le="..."}` lines
  /// ending with `le="+Inf"`, then `_sum` and `_count`.
  public static func render(_ families: [MetricFamilySnapshot]) -> String {
    var out = ""
    for family in families {
      render(family, into: &out)
    }
    return out
  }

  private static func render(_ family: MetricFamilySnapshot, into out: inout String) {
    let name: String
    let type: String
    switch family.series {
    case .counter:
      name = family.name.hasSuffix("_total") ? family.name : family.name + "_total"
      type = "counter"
    case .gauge:
      name = family.name
      type = "gauge"
    case .histogram:
      name = family.name
      type = "histogram"
    }
    out += "# HELP \(name) \(escapeHelp(family.help))\n"
    out += "# TYPE \(name) \(type)\n"
    switch family.series {
    case .counter(let samples), .gauge(let samples):
      for sample in samples {
        line(name, sample.labels, formatValue(sample.value), into: &out)
      }
    case .histogram(let samples):
      for sample in samples {
        let histogram = sample.value
        var cumulative: UInt64 = 0
        for (index, bound) in histogram.upperBounds.enumerated() {
          cumulative &+= histogram.bucketCounts[index]
          line(
            name + "_bucket", sample.labels + [MetricLabel("le", formatValue(bound))],
            String(cumulative), into: &out)
        }
        line(
          name + "_bucket", sample.labels + [MetricLabel("le", "+Inf")], String(histogram.count),
          into: &out)
        line(name + "_sum", sample.labels, formatValue(histogram.sum), into: &out)
        line(name + "_count", sample.labels, String(histogram.count), into: &out)
      }
    }
  }

  private static func line(
    _ name: String, _ labels: [MetricLabel], _ value: String, into out: inout String
  ) {
    out += name
    if !labels.isEmpty {
      out += "{"
      for (index, label) in labels.enumerated() {
        if index > 0 { out += "," }
        out += "\(label.name)=\"\(escapeLabelValue(label.value))\""
      }
      out += "}"
    }
    out += " \(value)\n"
  }

  /// A sample value as Prometheus reads it: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
  static func formatValue(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value == .infinity { return "+Inf" }
    if value == -.infinity { return "-Inf" }
    if value == value.rounded(), abs(value) < 0x1p63 { return String(Int64(value)) }
    return String(describing: value)
  }

  /// Label values escape backslash, double quote and line feed.
  static func escapeLabelValue(_ value: String) -> String {
    escape(value, quote: true)
  }

  /// Help text escapes backslash and line feed.
  static func escapeHelp(_ help: String) -> String {
    escape(help, quote: false)
  }

  /// Escapes by Unicode scalar, so a `\r\n` pair (one Swift `Character`) still has its line
  /// feed escaped.
  private static func escape(_ text: String, quote: Bool) -> String {
    let needsEscaping = text.unicodeScalars.contains {
      $0 == "\\" || $0 == "\n" || (quote && $0 == "\"")
    }
    guard needsEscaping else { return text }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\\": out.append(contentsOf: #"\\"#.unicodeScalars)
      case "\n": out.append(contentsOf: #"\n"#.unicodeScalars)
      case "\"" where quote: out.append(contentsOf: #"\""#.unicodeScalars)
      default: out.append(scalar)
      }
    }
    return String(out)
  }
}
