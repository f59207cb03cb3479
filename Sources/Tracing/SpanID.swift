/// A W3C span id (`parent-id` in `traceparent`): 8 bytes held as one big-endian integer.
///
/// [W3C Trace Context §3.2.2.4](https://www.w3.org/TR/trace-context/#parent-id); zero is invalid.
public struct SpanID: Sendable, Hashable, CustomStringConvertible {
  /// The 8 bytes read as a big-endian integer.
  public var value: UInt64

  public init(_ value: UInt64) {
    self.value = value
  }

  /// The id from exactly 8 bytes, or nil for any other count.
  public init?(bytes: some Collection<UInt8>) {
    guard bytes.count == 8 else { return nil }
    self.init(bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
  }

  /// The all-zero id, which the spec forbids on the wire.
  public static let invalid = SpanID(0)

  /// False for the all-zero id.
  public var isValid: Bool { value != 0 }

  /// The 8 bytes, most significant first.
  public var bytes: [UInt8] {
    (0..<8).map { i in UInt8(truncatingIfNeeded: value >> UInt64(56 - i * 8)) }
  }

  /// 16 lower-case hex digits, as in `traceparent`.
  public var hexString: String { Hex.string(value, count: 16) }

  public var description: String { hexString }
}
