/// One key/value attribute of a span, event or resource.
public struct SpanAttribute: Sendable, Hashable {
  public var key: String
  public var value: AttributeValue

  public init(_ key: String, _ value: AttributeValue) {
    self.key = key
    self.value = value
  }
}
