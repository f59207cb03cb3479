import Foundation

/// Writes each span as one JSON object per line, for reading by people and `jq`.
///
/// Fields: `traceId`, `spanId`, `parentSpanId` (hex), `name`, `kind`, `startTimeUnixNano`,
/// `endTimeUnixNano`, `durationMs`, `attributes`, `events`, `status`, `resource` (`service.name`).
public struct StdoutSpanExporter: SpanExporter {
  private let serviceName: String
  private let write: @Sendable (String) -> Void

  /// `write` receives one batch's lines (default: standard output).
  public init(
    serviceName: String,
    write: @escaping @Sendable (String) -> Void = {
      FileHandle.standardOutput.write(Data($0.utf8))
    }
  ) {
    self.serviceName = serviceName
    self.write = write
  }

  public func export(_ batch: [SpanData], deadline: ContinuousClock.Instant) -> SpanExportResult {
    var out = ""
    for span in batch {
      out += line(for: span)
      out += "\n"
    }
    if !out.isEmpty { write(out) }
    return .success
  }

  public func shutdown() {}

  /// One span as a JSON object.
  func line(for span: SpanData) -> String {
    var json = JSONWriter()
    json.beginObject()
    json.key("traceId")
    json.string(span.context.traceID.hexString)
    json.key("spanId")
    json.string(span.context.spanID.hexString)
    if let parent = span.parentSpanID {
      json.key("parentSpanId")
      json.string(parent.hexString)
    }
    json.key("name")
    json.string(span.name)
    json.key("kind")
    json.string(Self.kindName(span.kind))
    json.key("startTimeUnixNano")
    json.raw(String(span.startTimeUnixNanos))
    json.key("endTimeUnixNano")
    json.raw(String(span.endTimeUnixNanos))
    json.key("durationMs")
    json.number(
      span.endTimeUnixNanos >= span.startTimeUnixNanos
        ? Double(span.endTimeUnixNanos - span.startTimeUnixNanos) / 1e6 : 0)
    json.key("attributes")
    json.attributes(span.attributes)
    if !span.events.isEmpty {
      json.key("events")
      json.beginArray()
      for event in span.events {
        json.beginObject()
        json.key("name")
        json.string(event.name)
        json.key("timeUnixNano")
        json.raw(String(event.timeUnixNanos))
        json.key("attributes")
        json.attributes(event.attributes)
        json.endObject()
      }
      json.endArray()
    }
    json.key("status")
    json.beginObject()
    json.key("code")
    switch span.status {
    case .unset: json.string("UNSET")
    case .ok: json.string("OK")
    case .error(let message):
      json.string("ERROR")
      json.key("message")
      json.string(message)
    }
    json.endObject()
    json.key("resource")
    json.beginObject()
    json.key("service.name")
    json.string(serviceName)
    json.endObject()
    json.endObject()
    return json.output
  }

  private static func kindName(_ kind: SpanKind) -> String {
    switch kind {
    case .internal: "INTERNAL"
    case .server: "SERVER"
    case .client: "CLIENT"
    case .producer: "PRODUCER"
    case .consumer: "CONSUMER"
    }
  }
}

/// A minimal streaming JSON writer (commas handled by nesting state).
struct JSONWriter {
  private(set) var output = ""
  private var needsComma: [Bool] = [false]

  private mutating func separator() {
    if needsComma[needsComma.count - 1] { output += "," }
    needsComma[needsComma.count - 1] = true
  }

  mutating func beginObject() {
    separator()
    output += "{"
    needsComma.append(false)
  }

  mutating func endObject() {
    needsComma.removeLast()
    output += "}"
  }

  mutating func beginArray() {
    separator()
    output += "["
    needsComma.append(false)
  }

  mutating func endArray() {
    needsComma.removeLast()
    output += "]"
  }

  mutating func key(_ k: String) {
    separator()
    appendQuoted(k)
    output += ":"
    // The value that follows must not add a comma.
    needsComma[needsComma.count - 1] = false
  }

  mutating func string(_ s: String) {
    separator()
    appendQuoted(s)
  }

  mutating func raw(_ text: String) {
    separator()
    output += text
  }

  mutating func number(_ d: Double) {
    raw(d.isFinite ? "\(d)" : "null")
  }

  mutating func attributes(_ attributes: some Sequence<SpanAttribute>) {
    beginObject()
    for attribute in attributes {
      key(attribute.key)
      value(attribute.value)
    }
    endObject()
  }

  mutating func value(_ v: AttributeValue) {
    switch v {
    case .string(let s): string(s)
    case .bool(let b): raw(b ? "true" : "false")
    case .int(let i): raw(String(i))
    case .double(let d): number(d)
    case .bytes(let b): string(Data(b).base64EncodedString())
    case .stringArray(let a): array(a) { $0.string($1) }
    case .boolArray(let a): array(a) { $0.raw($1 ? "true" : "false") }
    case .intArray(let a): array(a) { $0.raw(String($1)) }
    case .doubleArray(let a): array(a) { $0.number($1) }
    }
  }

  private mutating func array<T>(_ items: [T], _ each: (inout JSONWriter, T) -> Void) {
    beginArray()
    for item in items { each(&self, item) }
    endArray()
  }

  private mutating func appendQuoted(_ s: String) {
    output += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": output += "\\\""
      case "\\": output += "\\\\"
      case "\n": output += "\\n"
      case "\r": output += "\\r"
      case "\t": output += "\\t"
      case _ where scalar.value < 0x20:
        output += "\\u00" + Hex.string(UInt64(scalar.value), count: 2)
      default: output.unicodeScalars.append(scalar)
      }
    }
    output += "\""
  }
}
