/// Receives ended spans (OpenTelemetry SDK "SpanProcessor").
///
/// Class-bound: every span's `end` calls through the tracer's processor, and a class
/// existential is called through its reference, where any other is copied for each call.
public protocol SpanProcessor: AnyObject, Sendable {
  /// Called once per ended recording span, on the thread that ended it. Must not block.
  /// `consuming`: the span's recorder hands its data over, so queueing it copies nothing.
  func onEnd(_ span: consuming SpanData)
  /// Exports everything ended so far; false if `timeout` passed first.
  func forceFlush(timeout: Duration) -> Bool
  /// Stops taking spans, exports what is queued, shuts the exporter; false on timeout.
  func shutdown(timeout: Duration) -> Bool
}

/// Discards every span (tracing disabled).
public final class NoopSpanProcessor: SpanProcessor {
  public init() {}
  public func onEnd(_ span: SpanData) {}
  public func forceFlush(timeout: Duration) -> Bool { true }
  public func shutdown(timeout: Duration) -> Bool { true }
}
