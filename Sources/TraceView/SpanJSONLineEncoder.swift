import TextCoding

/// Writes a span as one line of JSON (for `trace-view --json FILE`):
/// `{"trace_id":…,"span_id":…,"parent_span_id":…,"name":…,"kind":…,"service":…,
/// "start_time_unix_nano":…,"end_time_unix_nano":…,"attributes":{…},"status":{"code":…,
/// "message":…}}`. A root's `parent_span_id` is `""`; bytes values are lower-case hex strings;
/// non-finite doubles are strings (`"NaN"`, `"Infinity"`, `"-Infinity"`).
enum SpanJSONLineEncoder {
  static func encode(_ span: TraceViewSpan) -> String {
    var out = "{"
    out += "\"trace_id\":\(JSONString.quoted(span.traceID)),"
    out += "\"span_id\":\(JSONString.quoted(span.spanID)),"
    out += "\"parent_span_id\":\(JSONString.quoted(span.parentSpanID ?? "")),"
    out += "\"name\":\(JSONString.quoted(span.name)),"
    out += "\"kind\":\(JSONString.quoted(span.kind.name)),"
    out += "\"service\":\(JSONString.quoted(span.service)),"
    out += "\"start_time_unix_nano\":\(span.startTimeUnixNano),"
    out += "\"end_time_unix_nano\":\(span.endTimeUnixNano),"
    out += "\"attributes\":\(object(span.attributes)),"
    out += "\"status\":{\"code\":\(JSONString.quoted(span.statusCode.name)),"
    out += "\"message\":\(JSONString.quoted(span.statusMessage))}"
    out += "}"
    return out
  }

  private static func object(_ attributes: [TraceViewAttribute]) -> String {
    let members = attributes.map { "\(JSONString.quoted($0.key)):\(value($0.value))" }
    return "{" + members.joined(separator: ",") + "}"
  }

  private static func value(_ value: TraceViewAttribute.Value) -> String {
    switch value {
    case .string(let string): JSONString.quoted(string)
    case .bool(let bool): String(bool)
    case .int(let int): String(int)
    case .double(let double):
      double.isNaN
        ? "\"NaN\""
        : double.isInfinite
          ? (double > 0 ? "\"Infinity\"" : "\"-Infinity\"") : String(describing: double)
    case .bytes(let bytes): JSONString.quoted(hexString(bytes))
    case .array(let values): "[" + values.map(Self.value).joined(separator: ",") + "]"
    case .keyValues(let pairs): object(pairs)
    case .empty: "null"
    }
  }
}
