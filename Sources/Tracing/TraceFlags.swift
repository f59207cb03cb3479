/// The `trace-flags` byte of `traceparent`.
///
/// [W3C Trace Context §3.2.2.5](https://www.w3.org/TR/trace-context/#trace-flags): bit 0 is
/// `sampled`; Trace Context Level 2 adds bit 1, `random` (the trace id's low 7 bytes are random).
/// OpenAI instrumentations send `03`; both bits are kept when we propagate.
public struct TraceFlags: OptionSet, Sendable, Hashable {
  public var rawValue: UInt8

  public init(rawValue: UInt8) {
    self.rawValue = rawValue
  }

  /// The caller may have recorded this trace (bit 0).
  public static let sampled = TraceFlags(rawValue: 0x01)
  /// The trace id was generated at random (bit 1, Trace Context Level 2).
  public static let random = TraceFlags(rawValue: 0x02)

  /// The flags we understand and propagate; other bits are dropped on the way out.
  public static let known: TraceFlags = [.sampled, .random]
}
