/// A handle to one span: its context for propagation and, when sampled, its recorder.
///
/// An unsampled span is just its `SpanContext` (no allocation): every recording call is a
/// nil check, and `context` still names a span to propagate. Calls after `end` are ignored.
/// A span belongs to the thread that started it (the router's: one ext_proc stream's loop
/// thread), so it is not `Sendable`; its recorder takes no lock. Another thread gets
/// `context`, which is.
public struct Span {
  /// The ids, flags and `tracestate` to propagate.
  public let context: SpanContext
  let recorder: SpanRecorder?

  init(context: SpanContext, recorder: SpanRecorder?) {
    self.context = context
    self.recorder = recorder
  }

  /// A span that records nothing and propagates `context`.
  public static func nonRecording(_ context: SpanContext) -> Span {
    Span(context: context, recorder: nil)
  }

  /// True while the span records (sampled and not yet ended).
  public var isRecording: Bool {
    guard let recorder else { return false }
    return !recorder.ended
  }

  /// Sets (or replaces) one attribute.
  public func setAttribute(_ key: String, _ value: AttributeValue) {
    recorder?.setAttribute(key, value)
  }

  public func setAttribute(_ key: String, _ value: String) {
    recorder?.setAttribute(key, .string(value))
  }

  public func setAttribute(_ key: String, _ value: Bool) {
    recorder?.setAttribute(key, .bool(value))
  }

  public func setAttribute(_ key: String, _ value: Int) {
    recorder?.setAttribute(key, .int(Int64(value)))
  }

  public func setAttribute(_ key: String, _ value: Double) {
    recorder?.setAttribute(key, .double(value))
  }

  /// Adds an event, at `time` (Unix nanoseconds) or now.
  public func addEvent(_ name: String, attributes: [SpanAttribute] = [], at time: UInt64? = nil) {
    recorder?.addEvent(name, attributes: attributes, time: time)
  }

  /// Sets the status: `ok` is final, `error` replaces `unset`, `unset` is ignored.
  public func setStatus(_ status: SpanStatus) {
    recorder?.setStatus(status)
  }

  /// Renames the span (e.g. once the route is known).
  public func updateName(_ name: String) {
    recorder?.updateName(name)
  }

  /// Ends the span at `time` (Unix nanoseconds) or now and hands it to the span processor.
  /// Only the first call counts.
  public func end(at time: UInt64? = nil) {
    recorder?.end(time: time)
  }
}

@available(*, unavailable)
extension Span: Sendable {}
