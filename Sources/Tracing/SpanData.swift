/// A finished span as handed to the span processor and exporters: an immutable value.
public struct SpanData: Sendable {
  public var name: String
  public var kind: SpanKind
  public var context: SpanContext
  /// The parent span, nil for a root.
  public var parentSpanID: SpanID?
  /// Whether the parent came from another process (nil for a root).
  public var parentIsRemote: Bool?
  /// Unix time in nanoseconds.
  public var startTimeUnixNanos: UInt64
  /// Unix time in nanoseconds.
  public var endTimeUnixNanos: UInt64
  public var attributes: SpanAttributes
  public var droppedAttributesCount: Int
  public var events: [SpanEvent]
  public var droppedEventsCount: Int
  public var status: SpanStatus

  public init(
    name: String, kind: SpanKind, context: SpanContext, parentSpanID: SpanID? = nil,
    parentIsRemote: Bool? = nil, startTimeUnixNanos: UInt64, endTimeUnixNanos: UInt64 = 0,
    attributes: SpanAttributes = [], droppedAttributesCount: Int = 0, events: [SpanEvent] = [],
    droppedEventsCount: Int = 0, status: SpanStatus = .unset
  ) {
    self.name = name
    self.kind = kind
    self.context = context
    self.parentSpanID = parentSpanID
    self.parentIsRemote = parentIsRemote
    self.startTimeUnixNanos = startTimeUnixNanos
    self.endTimeUnixNanos = endTimeUnixNanos
    self.attributes = attributes
    self.droppedAttributesCount = droppedAttributesCount
    self.events = events
    self.droppedEventsCount = droppedEventsCount
    self.status = status
  }

  /// OTLP `Span.flags`: the W3C flags in the low byte, 0x100 (we know whether the parent is
  /// remote) always, 0x200 when it is.
  public var otlpFlags: UInt32 {
    UInt32(context.traceFlags.rawValue) | 0x100 | (parentIsRemote == true ? 0x200 : 0)
  }
}
