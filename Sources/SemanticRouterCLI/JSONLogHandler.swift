import Logging
import TextCoding

/// A swift-log handler that writes one JSON object per line to standard error: `timestamp`
/// (RFC 3339, UTC, milliseconds), `level`, `message`, `service.name`, `logger`, then the
/// metadata as string members. Lines about a request carry its router span's `trace_id` and
/// `span_id` (the OpenTelemetry log-correlation field names), set by the processor.
///
/// Each line goes out whole under a process-wide lock (`StandardError.writeLine`), so lines from
/// several loop threads never interleave.
struct JSONLogHandler: LogHandler {
  /// `service.name`: `OTEL_SERVICE_NAME`, the same name the spans' resource carries.
  private let serviceName: String
  private let label: String
  var metadata: Logger.Metadata = [:]
  var metadataProvider: Logger.MetadataProvider?
  var logLevel: Logger.Level = .info

  init(label: String, serviceName: String) {
    self.label = label
    self.serviceName = serviceName
  }

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    var merged = metadata
    if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
    if let extra = event.metadata { merged.merge(extra) { $1 } }
    let line = Self.line(
      timestamp: RFC3339Timestamp.now(), level: event.level, message: "\(event.message)",
      serviceName: serviceName, label: label, metadata: merged)
    StandardError.writeLine(line)
  }

  /// One log line, newline included. Metadata keys are sorted so lines diff well.
  static func line(
    timestamp: String, level: Logger.Level, message: String, serviceName: String, label: String,
    metadata: Logger.Metadata
  ) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(160 + message.utf8.count)
    func member(_ key: String, _ value: String) {
      output.append(output.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
      JSONString.append(key, to: &output)
      output.append(UInt8(ascii: ":"))
      JSONString.append(value, to: &output)
    }
    member("timestamp", timestamp)
    member("level", level.rawValue)
    member("message", message)
    member("service.name", serviceName)
    member("logger", label)
    let reserved: Set<String> = ["timestamp", "level", "message", "service.name", "logger"]
    for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where !reserved.contains(key) {
      member(key, "\(value)")
    }
    output.append(contentsOf: "}\n".utf8)
    return output
  }
}
