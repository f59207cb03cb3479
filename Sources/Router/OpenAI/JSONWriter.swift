import TextCoding

/// Appends JSON text to a byte buffer (just what the router emits: strings, numbers, literals).
enum JSONWriter {
  /// Appends `string` as a JSON string literal (`JSONString`: quote, backslash and control
  /// characters escaped, everything else UTF-8 as it is).
  static func appendString(_ string: String, to output: inout [UInt8]) {
    JSONString.append(string, to: &output)
  }

  /// Appends raw ASCII text (keys with punctuation, numbers, literals).
  static func appendRaw(_ text: String, to output: inout [UInt8]) {
    output.append(contentsOf: text.utf8)
  }
}
