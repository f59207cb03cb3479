/// Writes server-sent events (`event: NAME`, `data: JSON`, blank line), the framing the
/// Responses and Messages event streams use.
enum ServerSentEventWriter {
  /// Appends one event; `data` is compact JSON, so it is one line.
  static func append(event: String, data: JSONValue, to output: inout [UInt8]) {
    output.append(contentsOf: "event: ".utf8)
    output.append(contentsOf: event.utf8)
    output.append(contentsOf: "\ndata: ".utf8)
    data.write(to: &output)
    output.append(contentsOf: "\n\n".utf8)
  }
}
