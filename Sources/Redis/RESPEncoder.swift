/// Writes commands in RESP2's request form: an array of bulk strings.
public enum RESPEncoder {
  /// Appends `command` (name first, then its arguments) to `buffer`.
  public static func append(_ command: [[UInt8]], to buffer: inout [UInt8]) {
    appendHeader(UInt8(ascii: "*"), command.count, to: &buffer)
    for argument in command {
      appendHeader(UInt8(ascii: "$"), argument.count, to: &buffer)
      buffer.append(contentsOf: argument)
      buffer.append(contentsOf: crlf)
    }
  }

  /// `command` alone, encoded.
  public static func encode(_ command: [[UInt8]]) -> [UInt8] {
    var buffer: [UInt8] = []
    append(command, to: &buffer)
    return buffer
  }

  private static let crlf: [UInt8] = [13, 10]

  private static func appendHeader(_ kind: UInt8, _ count: Int, to buffer: inout [UInt8]) {
    buffer.append(kind)
    buffer.append(contentsOf: String(count).utf8)
    buffer.append(contentsOf: crlf)
  }
}
