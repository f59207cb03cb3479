/// Writes a span as one line of JSON (for `trace-view --json FILE`):
/// `{"trace_id":…,"span_id":…,"parent_span_id":…,"name":…,"kind":…,"service":…,
/// "start_time_unix_nano":…,"end_time_unix_nano":…,"attributes":{…},"status":{"code":…,
/// "message":…}}`. A root's `parent_span_id` is `""`; bytes values are lower-case hex strings;
/// non-finite doubles are strings (`"NaN"`, `"Infinity"`, `"-Infinity"`).
enum SpanJSONLineEncoder {
  static func encode(_ span: TraceViewSpan) -> String {
    var out = "{"
    out += "\"trace_id\":\(quoted(span.traceID)),"
    out += "\"span_id\":\(quoted(span.spanID)),"
    out += "\"parent_span_id\":\(quoted(span.parentSpanID ?? "")),"
    out += "\"name\":\(quoted(span.name)),"
    out += "\"kind\":\(quoted(span.kind.name)),"
    out += "\"service\":\(quoted(span.service)),"
    out += "\"start_time_unix_nano\":\(span.startTimeUnixNano),"
    out += "\"end_time_unix_nano\":\(span.endTimeUnixNano),"
    out += "\"attributes\":\(object(span.attributes)),"
    out += "\"status\":{\"code\":\(quoted(span.statusCode.name)),"
    out += "\"message\":\(quoted(span.statusMessage))}"
    out += "}"
    return out
  }

  private static func object(_ attributes: [TraceViewAttribute]) -> String {
    "{" + attributes.map { "\(quoted($0.key)):\(value($0.value))" }.joined(separator: ",") + "}"
  }

  private static func value(_ value: TraceViewAttribute.Value) -> String {
    switch value {
    case .string(let string): quoted(string)
    case .bool(let bool): String(bool)
    case .int(let int): String(int)
    case .double(let double):
      double.isNaN
        ? "\"NaN\""
        : double.isInfinite
          ? (double > 0 ? "\"Infinity\"" : "\"-Infinity\"") : String(describing: double)
    case .bytes(let bytes): quoted(hexString(bytes))
    case .array(let values): "[" + values.map(Self.value).joined(separator: ",") + "]"
    case .keyValues(let pairs): object(pairs)
    case .empty: "null"
    }
  }

  /// A JSON string literal (RFC 8259 §7): quote, backslash and control characters escaped.
  static func quoted(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    out.append("\"")
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out.append(contentsOf: #"\""#.unicodeScalars)
      case "\\": out.append(contentsOf: #"\\"#.unicodeScalars)
      case "\n": out.append(contentsOf: #"\n"#.unicodeScalars)
      case "\r": out.append(contentsOf: #"\r"#.unicodeScalars)
      case "\t": out.append(contentsOf: #"\t"#.unicodeScalars)
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out.append(
          contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
      default: out.append(scalar)
      }
    }
    out.append("\"")
    return String(out)
  }
}
