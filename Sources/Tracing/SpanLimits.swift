/// Limits on what one span records (OpenTelemetry SDK "Span Limits"); excess is dropped and
/// counted in the span's dropped counts.
public struct SpanLimits: Sendable, Hashable {
  /// Most attributes per span (`OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, default 128).
  public var attributeCountLimit: Int
  /// Longest string or bytes value, in characters/bytes (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`);
  /// nil means unlimited, the default.
  public var attributeValueLengthLimit: Int?
  /// Most events per span (`OTEL_SPAN_EVENT_COUNT_LIMIT`, default 128).
  public var eventCountLimit: Int
  /// Most attributes per event (`OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`, default 128).
  public var eventAttributeCountLimit: Int

  public init(
    attributeCountLimit: Int = 128, attributeValueLengthLimit: Int? = nil,
    eventCountLimit: Int = 128, eventAttributeCountLimit: Int = 128
  ) {
    self.attributeCountLimit = attributeCountLimit
    self.attributeValueLengthLimit = attributeValueLengthLimit
    self.eventCountLimit = eventCountLimit
    self.eventAttributeCountLimit = eventAttributeCountLimit
  }
}
