/// Rewrites a request body with every detected value replaced by its type's placeholder.
///
/// Each text value holding a match is written anew as a JSON string (the decoded text with the
/// placeholders in, re-escaped), in place of the original string literal; every other byte of
/// the body is kept. A value the client wrote with escapes (`\u0040`) is thus replaced whole,
/// whatever escapes spelled it.
enum PIIRedactor {
  /// `text` with each match (UTF-8 ranges, in order, not overlapping) replaced.
  static func redact(_ text: String, _ matches: [PIIMatch]) -> String {
    var text = text
    return text.withUTF8 { bytes in
      var output: [UInt8] = []
      output.reserveCapacity(bytes.count)
      var position = 0
      for match in matches {
        output.append(contentsOf: bytes[position..<match.range.lowerBound])
        output.append(contentsOf: match.type.placeholder.utf8)
        position = match.range.upperBound
      }
      output.append(contentsOf: bytes[position...])
      return String(decoding: output, as: UTF8.self)
    }
  }

  /// `body` with the text values at `values` (their matches in `matches`, same order, ranges
  /// ascending) rewritten.
  static func redact(
    body: [UInt8], values: [OpenAIRequest.TextValue], matches: [[PIIMatch]]
  ) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(body.count)
    var position = 0
    for (value, valueMatches) in zip(values, matches) where !valueMatches.isEmpty {
      output.append(contentsOf: body[position..<value.range.lowerBound])
      JSONWriter.appendString(redact(value.text, valueMatches), to: &output)
      position = value.range.upperBound
    }
    output.append(contentsOf: body[position...])
    return output
  }
}
