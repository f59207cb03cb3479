/// A W3C trace id: 16 bytes, held as two big-endian halves so it copies and compares as two words.
///
/// `high` is bytes 0...7 and `low` is bytes 8...15 of the id read as big-endian integers
/// ([W3C Trace Context §3.2.2.3](https://www.w3.org/TR/trace-context/#trace-id)). The all-zero
/// id is invalid.
public struct TraceID: Sendable, Hashable, CustomStringConvertible {
  /// Bytes 0...7 as a big-endian integer.
  public var high: UInt64
  /// Bytes 8...15 as a big-endian integer (what ratio sampling looks at).
  public var low: UInt64

  public init(high: UInt64, low: UInt64) {
    self.high = high
    self.low = low
  }

  /// The id from exactly 16 bytes, or nil for any other count.
  public init?(bytes: some Collection<UInt8>) {
    guard bytes.count == 16 else { return nil }
    var high: UInt64 = 0
    var low: UInt64 = 0
    for (i, byte) in bytes.enumerated() {
      if i < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
    }
    self.init(high: high, low: low)
  }

  /// The all-zero id, which the spec forbids on the wire.
  public static let invalid = TraceID(high: 0, low: 0)

  /// False for the all-zero id.
  public var isValid: Bool { high != 0 || low != 0 }

  /// The 16 bytes, most significant first.
  public var bytes: [UInt8] {
    (0..<16).map { i in
      UInt8(truncatingIfNeeded: (i < 8 ? high : low) >> UInt64(56 - (i % 8) * 8))
    }
  }

  /// 32 lower-case hex digits, as in `traceparent`.
  public var hexString: String {
    String(unsafeUninitializedCapacity: 32) { buffer in
      Hex.write(high, count: 16, into: buffer, at: 0)
      Hex.write(low, count: 16, into: buffer, at: 16)
      return 32
    }
  }

  public var description: String { hexString }
}
