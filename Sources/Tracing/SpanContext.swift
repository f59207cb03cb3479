/// The part of a span that crosses process boundaries: ids, flags and `tracestate`.
public struct SpanContext: Sendable, Hashable {
  public var traceID: TraceID
  public var spanID: SpanID
  public var traceFlags: TraceFlags
  public var traceState: TraceState
  /// True when this context came from another process (a parsed `traceparent`).
  public var isRemote: Bool

  public init(
    traceID: TraceID, spanID: SpanID, traceFlags: TraceFlags,
    traceState: TraceState = TraceState(), isRemote: Bool = false
  ) {
    self.traceID = traceID
    self.spanID = spanID
    self.traceFlags = traceFlags
    self.traceState = traceState
    self.isRemote = isRemote
  }

  /// No trace: what a disabled tracer hands out when there is no parent.
  public static let invalid = SpanContext(
    traceID: .invalid, spanID: .invalid, traceFlags: [])

  /// Both ids are non-zero.
  public var isValid: Bool { traceID.isValid && spanID.isValid }

  /// The `sampled` flag.
  public var isSampled: Bool { traceFlags.contains(.sampled) }

  /// The `traceparent` header naming this span as the parent.
  public var traceparent: String {
    TraceParent(traceID: traceID, parentID: spanID, flags: traceFlags).headerValue
  }
}
