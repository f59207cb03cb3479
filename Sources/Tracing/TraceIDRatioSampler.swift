/// Samples a fixed fraction of traces, decided by the trace id alone (`traceidratio`).
///
/// As the OpenTelemetry SDKs do: bytes 8...15 of the trace id as a big-endian integer, shifted
/// right by one, sampled when below `ratio × 2^63`. Every service with the same ratio makes the
/// same decision for a trace.
public struct TraceIDRatioSampler: Sampler {
  /// The fraction sampled, clamped to 0...1.
  public let ratio: Double
  private let bound: UInt64

  public init(ratio: Double) {
    let clamped = ratio.isNaN ? 0 : min(max(ratio, 0), 1)
    self.ratio = clamped
    // 2^63 as a Double is exact; ratio 1 gives 2^63, above every 63-bit value.
    bound = UInt64(clamped * 9_223_372_036_854_775_808.0)
  }

  public func shouldSample(
    parent: SpanContext?, traceID: TraceID, name: String, kind: SpanKind
  ) -> SamplingDecision {
    traceID.low >> 1 < bound ? .recordAndSample : .drop
  }

  public var samplerDescription: String { "TraceIdRatioBased{\(ratio)}" }
}
