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
    var json = JSONTextWriter()
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
