/// Starts spans: picks ids, asks the sampler, and wires recording spans to the span processor.
///
/// A sampled span records into a small object and is handed to the processor at `end`; an
/// unsampled span is only a `SpanContext` (a fresh span id, `sampled` cleared) so the next hop
/// still sees one connected trace. A disabled tracer passes the parent context through untouched.
public final class Tracer: Sendable {
  /// False for `Tracer.disabled`: spans are the parent's context, nothing is counted.
  public let isEnabled: Bool
  public let sampler: any Sampler
  public let processor: any SpanProcessor
  public let limits: SpanLimits
  public let metrics: TracingMetrics
  let clock: any TracingClock
  /// The clock is `SystemTracingClock`: `now()` calls it directly rather than through the
  /// existential, which is copied for every call (a tenth of a span's start and end).
  private let clockIsSystem: Bool
  let ids: RandomIDGenerator

  public convenience init(
    sampler: any Sampler = ParentBasedSampler(root: AlwaysOnSampler()),
    processor: any SpanProcessor,
    limits: SpanLimits = SpanLimits(),
    metrics: TracingMetrics = TracingMetrics(),
    clock: any TracingClock = SystemTracingClock(),
    idGenerator: RandomIDGenerator = RandomIDGenerator()
  ) {
    self.init(
      isEnabled: true, sampler: sampler, processor: processor, limits: limits, metrics: metrics,
      clock: clock, idGenerator: idGenerator)
  }

  private init(
    isEnabled: Bool, sampler: any Sampler, processor: any SpanProcessor, limits: SpanLimits,
    metrics: TracingMetrics, clock: any TracingClock, idGenerator: RandomIDGenerator
  ) {
    self.isEnabled = isEnabled
    self.sampler = sampler
    self.processor = processor
    self.limits = limits
    self.metrics = metrics
    self.clock = clock
    clockIsSystem = clock is SystemTracingClock
    self.ids = idGenerator
  }

  /// A tracer that records nothing and whose spans carry the parent's context unchanged, so
  /// the caller's `traceparent` reaches the upstream as it came.
  public static func disabled() -> Tracer {
    Tracer(
      isEnabled: false, sampler: AlwaysOffSampler(), processor: NoopSpanProcessor(),
      limits: SpanLimits(), metrics: TracingMetrics(), clock: SystemTracingClock(),
      idGenerator: RandomIDGenerator(seed: 0))
  }

  /// Unix time now in nanoseconds, from the tracer's clock (for explicit start/end times).
  @inline(__always)
  public func now() -> UInt64 {
    clockIsSystem ? SystemTracingClock().nowUnixNanos() : clock.nowUnixNanos()
  }

  /// Starts a span under `parent` (nil or invalid: a new trace), at `startTime` or now.
  public func startSpan(
    _ name: String, kind: SpanKind = .internal, parent: SpanContext?,
    attributes: [SpanAttribute] = [], startTime: UInt64? = nil
  ) -> Span {
    guard isEnabled else { return .nonRecording(parent ?? .invalid) }
    let validParent = parent.flatMap { $0.isValid ? $0 : nil }
    let traceID = validParent?.traceID ?? ids.traceID()
    let decision = sampler.shouldSample(
      parent: validParent, traceID: traceID, name: name, kind: kind)
    var flags: TraceFlags =
      validParent.map { $0.traceFlags.intersection(.known).subtracting(.sampled) } ?? .random
    if decision == .recordAndSample { flags.insert(.sampled) }
    let context = SpanContext(
      traceID: traceID, spanID: ids.spanID(), traceFlags: flags,
      traceState: validParent?.traceState ?? TraceState(), isRemote: false)
    guard decision == .recordAndSample else {
      metrics.unsampledSpanStarted()
      return .nonRecording(context)
    }
    metrics.sampledSpanStarted()
    let data = SpanData(
      name: name, kind: kind, context: context, parentSpanID: validParent?.spanID,
      parentIsRemote: validParent?.isRemote, startTimeUnixNanos: startTime ?? now(),
      attributes: SpanAttributes(
        minimumCapacity: max(attributes.count, SpanAttributeStoragePool.entryCapacity)))
    let recorder = SpanRecorder(data: data, tracer: self)
    for attribute in attributes { recorder.setAttribute(attribute.key, attribute.value) }
    return Span(context: context, recorder: recorder)
  }
}
