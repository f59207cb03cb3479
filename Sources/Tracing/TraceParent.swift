/// The `traceparent` header: version, trace id, parent id and flags.
///
/// Parsing follows [W3C Trace Context §3.2 and §4.3](https://www.w3.org/TR/trace-context/):
/// leading and trailing OWS is ignored; version `00` must be exactly 55 characters; version `ff`
/// is invalid; a higher version is parsed by position (its first 55 characters as version 00,
/// then either the end or a `-` and further fields we ignore); only lower-case hex is accepted;
/// all-zero ids are invalid. We always send version `00`.
public struct TraceParent: Sendable, Hashable {
  /// The trace this request belongs to.
  public var traceID: TraceID
  /// The caller's span (`parent-id`).
  public var parentID: SpanID
  /// The caller's flags (all eight bits as received).
  public var flags: TraceFlags

  public init(traceID: TraceID, parentID: SpanID, flags: TraceFlags) {
    self.traceID = traceID
    self.parentID = parentID
    self.flags = flags
  }

  /// Length of a version-00 `traceparent`.
  static let length = 55

  /// Parses one `traceparent` header value.
  public static func parse(_ header: String) throws(TraceContextParseError) -> TraceParent {
    var header = header
    return try header.withUTF8 { parse(utf8: $0) }.get()
  }

  private static func parse(
    utf8 raw: UnsafeBufferPointer<UInt8>
  ) -> Result<TraceParent, TraceContextParseError> {
    var start = 0
    var end = raw.count
    while start < end, raw[start] == 0x20 || raw[start] == 0x09 { start += 1 }
    while end > start, raw[end - 1] == 0x20 || raw[end - 1] == 0x09 { end -= 1 }
    let b = UnsafeBufferPointer(rebasing: raw[start..<end])

    guard b.count >= 2 else { return .failure(.init(.invalidLength)) }
    guard let version = Hex.parse(b, at: 0, count: 2), version != 0xFF else {
      return .failure(.init(.invalidVersion))
    }
    if version == 0 {
      guard b.count == length else { return .failure(.init(.invalidLength)) }
    } else {
      guard b.count >= length else { return .failure(.init(.invalidLength)) }
      guard b.count == length || b[length] == UInt8(ascii: "-") else {
        return .failure(.init(.invalidLength))
      }
    }
    let dash = UInt8(ascii: "-")
    guard b[2] == dash, b[35] == dash, b[52] == dash else {
      return .failure(.init(.invalidDelimiter))
    }
    guard let high = Hex.parse(b, at: 3, count: 16), let low = Hex.parse(b, at: 19, count: 16),
      let parent = Hex.parse(b, at: 36, count: 16), let flags = Hex.parse(b, at: 53, count: 2)
    else { return .failure(.init(.invalidCharacter)) }
    guard high != 0 || low != 0 else { return .failure(.init(.zeroTraceID)) }
    guard parent != 0 else { return .failure(.init(.zeroSpanID)) }
    return .success(
      TraceParent(
        traceID: TraceID(high: high, low: low), parentID: SpanID(parent),
        flags: TraceFlags(rawValue: UInt8(flags))))
  }

  /// The version-00 header value, with only the flags we understand.
  public var headerValue: String {
    String(unsafeUninitializedCapacity: Self.length) { out in
      let dash = UInt8(ascii: "-")
      out[0] = UInt8(ascii: "0")
      out[1] = UInt8(ascii: "0")
      out[2] = dash
      Hex.write(traceID.high, count: 16, into: out, at: 3)
      Hex.write(traceID.low, count: 16, into: out, at: 19)
      out[35] = dash
      Hex.write(parentID.value, count: 16, into: out, at: 36)
      out[52] = dash
      Hex.write(UInt64(flags.intersection(.known).rawValue), count: 2, into: out, at: 53)
      return Self.length
    }
  }
}
