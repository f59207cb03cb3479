/// Renders one trace as an indented tree for people: a header line with the trace id, its
/// duration and span count, then one line per span (`service  name  duration  [key attributes]`)
/// under its parent, children in start-time order.
///
/// Spans whose parent is not in the trace are shown as roots, marked
/// `(parent not received: <id>)`. Pure: the same spans always give the same text.
public enum TraceTreeFormatter {
  /// The tree of one trace (spans sharing a trace id), without a trailing newline.
  public static func format(_ spans: [TraceViewSpan]) -> String {
    guard let first = spans.first else { return "" }
    let start = spans.lazy.map(\.startTimeUnixNano).min() ?? 0
    let end = spans.lazy.map(\.endTimeUnixNano).max() ?? 0
    let count = spans.count == 1 ? "1 span" : "\(spans.count) spans"
    let duration = formatDuration(nanoseconds: end > start ? end - start : 0)
    var lines = ["Trace \(first.traceID) (\(duration), \(count))"]

    let ordered = spans.sorted(by: startsBefore)
    let ids = Set(ordered.map(\.spanID))
    var children: [String: [Int]] = [:]
    var roots: [Int] = []
    for (index, span) in ordered.enumerated() {
      if let parent = span.parentSpanID, ids.contains(parent), parent != span.spanID {
        children[parent, default: []].append(index)
      } else {
        roots.append(index)
      }
    }

    // Spans caught in a parent cycle are reachable from no root; they become roots too.
    var reached = [Bool](repeating: false, count: ordered.count)
    func reach(_ index: Int) {
      var stack = [index]
      while let next = stack.popLast() {
        guard !reached[next] else { continue }
        reached[next] = true
        stack.append(contentsOf: children[ordered[next].spanID] ?? [])
      }
    }
    roots.forEach(reach)
    for index in ordered.indices where !reached[index] {
      roots.append(index)
      reach(index)
    }

    var visited = [Bool](repeating: false, count: ordered.count)
    func render(_ index: Int, prefix: String, isLast: Bool) {
      visited[index] = true
      let span = ordered[index]
      lines.append(prefix + (isLast ? "└── " : "├── ") + describe(span, ids: ids))
      let kids = (children[span.spanID] ?? []).filter { !visited[$0] }
      for (position, child) in kids.enumerated() {
        render(
          child, prefix: prefix + (isLast ? "    " : "│   "), isLast: position == kids.count - 1)
      }
    }
    for (position, root) in roots.enumerated() {
      render(root, prefix: "", isLast: position == roots.count - 1)
    }
    return lines.joined(separator: "\n")
  }

  /// `service  name  duration  [attributes]  (parent not received: id)`.
  static func describe(_ span: TraceViewSpan, ids: Set<String>) -> String {
    var line =
      "\(span.service)  \(span.name)  \(formatDuration(nanoseconds: span.durationNanoseconds))"
    let attributes = keyAttributes(of: span)
    if !attributes.isEmpty { line += "  [\(attributes.joined(separator: " "))]" }
    if let parent = span.parentSpanID, !ids.contains(parent) || parent == span.spanID {
      line += "  (parent not received: \(parent))"
    }
    return line
  }

  /// The attributes worth a glance, in a fixed order: category, confidence, cache hit, selected
  /// model, endpoint, HTTP status, token counts (`tokens=in+out`) and an error status.
  static func keyAttributes(of span: TraceViewSpan) -> [String] {
    var out: [String] = []
    if let value = span.attribute("category.name") { out.append("category=\(text(value))") }
    if let value = span.attribute("classification.confidence") {
      if case .double(let confidence) = value {
        out.append("confidence=\(fixed(confidence, decimals: 2))")
      } else {
        out.append("confidence=\(text(value))")
      }
    }
    if let value = span.attribute("cache.hit") { out.append("cache.hit=\(text(value))") }
    if let value = span.attribute("routing.selected_model") {
      out.append("selected_model=\(text(value))")
    }
    if let value = span.attribute("endpoint.name") { out.append("endpoint=\(text(value))") }
    if let value = span.attribute("http.response.status_code") {
      out.append("http.status=\(text(value))")
    }
    let input = span.attribute("gen_ai.usage.input_tokens")
    let output = span.attribute("gen_ai.usage.output_tokens")
    switch (input, output) {
    case (let input?, let output?): out.append("tokens=\(text(input))+\(text(output))")
    case (let input?, nil): out.append("input_tokens=\(text(input))")
    case (nil, let output?): out.append("output_tokens=\(text(output))")
    case (nil, nil): break
    }
    if span.statusCode == .error {
      out.append(span.statusMessage.isEmpty ? "error" : "error=\"\(span.statusMessage)\"")
    }
    return out
  }

  /// A duration with about three significant digits: `850 ns`, `45 µs`, `1.23 ms`, `12.3 ms`,
  /// `123 ms`, `2.31 s`.
  public static func formatDuration(nanoseconds: UInt64) -> String {
    switch nanoseconds {
    case ..<1_000:
      return "\(nanoseconds) ns"
    case ..<1_000_000:
      return "\((nanoseconds + 500) / 1_000) µs"
    case ..<1_000_000_000:
      let milliseconds = Double(nanoseconds) / 1e6
      let decimals = milliseconds < 10 ? 2 : milliseconds < 100 ? 1 : 0
      return "\(fixed(milliseconds, decimals: decimals)) ms"
    default:
      return "\(fixed(Double(nanoseconds) / 1e9, decimals: 2)) s"
    }
  }

  /// `value` rounded to `decimals` places, written out without exponent.
  static func fixed(_ value: Double, decimals: Int) -> String {
    guard value.isFinite else { return String(describing: value) }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    guard scaled < 9e18 else { return String(describing: value) }
    let units = UInt64(scaled)
    let divisor = UInt64(scale)
    let sign = value < 0 && units > 0 ? "-" : ""
    guard decimals > 0 else { return "\(sign)\(units)" }
    let fraction = String(units % divisor)
    let padded = String(repeating: "0", count: decimals - fraction.count) + fraction
    return "\(sign)\(units / divisor).\(padded)"
  }

  /// An attribute value as shown in brackets: strings bare, arrays as `[a,b]`.
  static func text(_ value: TraceViewAttribute.Value) -> String {
    switch value {
    case .string(let string): string
    case .bool(let bool): String(bool)
    case .int(let int): String(int)
    case .double(let double): String(describing: double)
    case .bytes(let bytes): hexString(bytes)
    case .array(let values): "[" + values.map(text).joined(separator: ",") + "]"
    case .keyValues(let pairs):
      "{" + pairs.map { "\($0.key)=\(text($0.value))" }.joined(separator: ",") + "}"
    case .empty: ""
    }
  }

  private static func startsBefore(_ a: TraceViewSpan, _ b: TraceViewSpan) -> Bool {
    if a.startTimeUnixNano != b.startTimeUnixNano {
      return a.startTimeUnixNano < b.startTimeUnixNano
    }
    if a.name != b.name { return a.name < b.name }
    return a.spanID < b.spanID
  }
}
