/// Decides whether a new span is recorded and exported (OpenTelemetry SDK "Sampler").
public protocol Sampler: Sendable {
  /// The decision for a span about to start. `parent` is nil (or invalid) for a root span;
  /// `traceID` is the parent's or the new root's.
  func shouldSample(
    parent: SpanContext?, traceID: TraceID, name: String, kind: SpanKind
  ) -> SamplingDecision

  /// The sampler's name and arguments, for logs (e.g. `ParentBased{root:AlwaysOn}`).
  var samplerDescription: String { get }
}

/// A sampler's answer.
public enum SamplingDecision: Sendable, Hashable {
  /// Not recorded; the span only propagates context, with `sampled` cleared.
  case drop
  /// Recorded and exported, `sampled` set.
  case recordAndSample
}

/// Samples every span (`always_on`).
public struct AlwaysOnSampler: Sampler {
  public init() {}

  public func shouldSample(
    parent: SpanContext?, traceID: TraceID, name: String, kind: SpanKind
  ) -> SamplingDecision { .recordAndSample }

  public var samplerDescription: String { "AlwaysOnSampler" }
}

/// Samples nothing (`always_off`).
public struct AlwaysOffSampler: Sampler {
  public init() {}

  public func shouldSample(
    parent: SpanContext?, traceID: TraceID, name: String, kind: SpanKind
  ) -> SamplingDecision { .drop }

  public var samplerDescription: String { "AlwaysOffSampler" }
}
