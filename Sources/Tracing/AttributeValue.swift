/// A typed attribute value, as OTLP's `AnyValue` carries it (maps are not needed here).
public enum AttributeValue: Sendable, Hashable {
  case string(String)
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case stringArray([String])
  case boolArray([Bool])
  case intArray([Int64])
  case doubleArray([Double])
  case bytes([UInt8])

  /// The value with strings (and string array elements) and bytes cut to `limit` characters
  /// (bytes), per the OpenTelemetry attribute limits.
  func truncated(to limit: Int) -> AttributeValue {
    switch self {
    case .string(let s) where s.count > limit: return .string(String(s.prefix(limit)))
    case .stringArray(let a) where a.contains(where: { $0.count > limit }):
      return .stringArray(a.map { $0.count > limit ? String($0.prefix(limit)) : $0 })
    case .bytes(let b) where b.count > limit: return .bytes(Array(b.prefix(limit)))
    default: return self
    }
  }
}

extension AttributeValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
  ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(integerLiteral value: Int64) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .double(value) }
}
