/// Why bytes from a Redis server are not RESP2 the decoder accepts.
public struct RESPDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public var description: String { "RESP: \(message)" }

  init(_ message: String) { self.message = message }
}

/// An incremental RESP2 reply decoder: bytes in, whole values out in order, or a clear error.
///
/// Bytes arrive in any split (`append`); `next()` returns a value once all of it is buffered and
/// nil before. Every length is bounded (bulk size, element count, nesting, line length), so a
/// broken or hostile peer gets an error, never a crash or an unbounded allocation. After an
/// error the stream is unusable (the caller drops the connection).
public struct RESPDecoder {
  /// The largest bulk string accepted.
  public let maxBulkBytes: Int
  /// The most elements of one array.
  public let maxElements: Int
  /// The deepest nesting of arrays.
  public let maxDepth: Int
  /// The longest status, error or integer line, and length header.
  public let maxLineBytes: Int

  private var buffer: [UInt8] = []
  private var start = 0

  public init(
    maxBulkBytes: Int = 64 << 20, maxElements: Int = 1 << 20, maxDepth: Int = 8,
    maxLineBytes: Int = 64 << 10
  ) {
    self.maxBulkBytes = maxBulkBytes
    self.maxElements = maxElements
    self.maxDepth = maxDepth
    self.maxLineBytes = maxLineBytes
  }

  /// Bytes received but not yet returned as values.
  public var bufferedBytes: Int { buffer.count - start }

  /// Adds received bytes.
  public mutating func append(_ bytes: some Collection<UInt8>) {
    // Drop what was consumed once it is most of the buffer, so it does not grow forever.
    if start > 0, start >= buffer.count / 2 {
      buffer.removeFirst(start)
      start = 0
    }
    buffer.append(contentsOf: bytes)
  }

  /// The next whole value, nil when more bytes are needed.
  public mutating func next() throws(RESPDecodingError) -> RESPValue? {
    var index = start
    guard let value = try parse(at: &index, depth: 0) else { return nil }
    start = index
    return value
  }

  // MARK: - Parsing

  /// Parses one value at `index`, advancing it past the value; nil (index unspecified) when the
  /// value is not whole yet.
  private func parse(at index: inout Int, depth: Int) throws(RESPDecodingError) -> RESPValue? {
    guard index < buffer.count else { return nil }
    let kind = buffer[index]
    guard let line = try line(after: index + 1) else { return nil }
    index = line.next
    switch kind {
    case UInt8(ascii: "+"):
      return .simpleString(String(decoding: buffer[line.range], as: UTF8.self))
    case UInt8(ascii: "-"):
      return .error(String(decoding: buffer[line.range], as: UTF8.self))
    case UInt8(ascii: ":"):
      return .integer(try integer(line.range))
    case UInt8(ascii: "$"):
      let length = try integer(line.range)
      if length == -1 { return .bulkString(nil) }
      guard length >= 0, length <= maxBulkBytes else {
        throw RESPDecodingError("bulk string length \(length) outside 0...\(maxBulkBytes)")
      }
      let end = index + Int(length)
      guard end + 2 <= buffer.count else { return nil }
      guard buffer[end] == 13, buffer[end + 1] == 10 else {
        throw RESPDecodingError("bulk string not followed by CRLF")
      }
      let bytes = Array(buffer[index..<end])
      index = end + 2
      return .bulkString(bytes)
    case UInt8(ascii: "*"):
      let count = try integer(line.range)
      if count == -1 { return .array(nil) }
      guard count >= 0, count <= maxElements else {
        throw RESPDecodingError("array length \(count) outside 0...\(maxElements)")
      }
      guard depth < maxDepth else {
        throw RESPDecodingError("arrays nested deeper than \(maxDepth)")
      }
      var elements: [RESPValue] = []
      // Reserve by what is buffered, not by what the header claims.
      elements.reserveCapacity(min(Int(count), (buffer.count - index) / 3))
      for _ in 0..<count {
        guard let element = try parse(at: &index, depth: depth + 1) else { return nil }
        elements.append(element)
      }
      return .array(elements)
    default:
      throw RESPDecodingError("unknown type byte 0x\(String(kind, radix: 16))")
    }
  }

  /// The line starting at `index` up to CRLF (the range excludes it) and the index after it;
  /// nil when no CRLF is buffered yet.
  private func line(
    after index: Int
  ) throws(RESPDecodingError) -> (range: Range<Int>, next: Int)? {
    var position = index
    let limit = min(buffer.count, index + maxLineBytes + 1)
    while position < limit {
      if buffer[position] == 13 {
        guard position + 1 < buffer.count else { return nil }
        guard buffer[position + 1] == 10 else {
          throw RESPDecodingError("CR not followed by LF")
        }
        return (index..<position, position + 2)
      }
      position += 1
    }
    if position - index > maxLineBytes {
      throw RESPDecodingError("line longer than \(maxLineBytes) bytes")
    }
    return nil
  }

  private func integer(_ range: Range<Int>) throws(RESPDecodingError) -> Int64 {
    guard let value = Int64(String(decoding: buffer[range], as: UTF8.self)) else {
      throw RESPDecodingError("not an integer: '\(String(decoding: buffer[range], as: UTF8.self))'")
    }
    return value
  }
}
