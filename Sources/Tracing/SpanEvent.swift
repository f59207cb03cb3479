/// A timestamped event inside a span, e.g. the first token of a streamed response.
public struct SpanEvent: Sendable, Hashable {
  public var name: String
  /// Unix time in nanoseconds.
  public var timeUnixNanos: UInt64
  public var attributes: [SpanAttribute]
  public var droppedAttributesCount: Int

  public init(
    name: String, timeUnixNanos: UInt64, attributes: [SpanAttribute] = [],
    droppedAttributesCount: Int = 0
  ) {
    self.name = name
    self.timeUnixNanos = timeUnixNanos
    self.attributes = attributes
    self.droppedAttributesCount = droppedAttributesCount
  }
}
