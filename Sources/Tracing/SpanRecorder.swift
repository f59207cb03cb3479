/// The mutable state of one recording span, until `end` hands a `SpanData` to the processor.
///
/// Not `Sendable`, like the `Span` that holds it: the thread that started the span is its only
/// user, and after `end` it holds only an empty span and its tracer.
final class SpanRecorder {
  /// The span being recorded; once ended, an empty span (the data moved to the processor, so
  /// queueing it neither copies it nor retains and later releases each of its fields).
  // One thread uses a span; dynamic exclusivity checks cost ~10% of a span.
  @exclusivity(unchecked) private var data: SpanData
  // A flag, not an optional `data`: testing an optional this large goes through a witness call.
  @exclusivity(unchecked) private(set) var ended = false
  /// Limits, processor and clock: one reference rather than a copy of each per span.
  private let tracer: Tracer

  init(data: SpanData, tracer: Tracer) {
    self.data = data
    self.tracer = tracer
  }

  func updateName(_ name: String) {
    guard !ended else { return }
    data.name = name
  }

  func setAttribute(_ key: String, _ value: AttributeValue) {
    guard !ended else { return }
    let countLimit = tracer.limits.attributeCountLimit
    let stored =
      if let lengthLimit = tracer.limits.attributeValueLengthLimit {
        data.attributes.set(key, value.truncated(to: lengthLimit), countLimit: countLimit)
      } else {
        // Passed on as it is: no copy of the value for a `map` over the optional limit.
        data.attributes.set(key, value, countLimit: countLimit)
      }
    if !stored { data.droppedAttributesCount += 1 }
  }

  func addEvent(_ name: String, attributes: [SpanAttribute], time: UInt64?) {
    guard !ended else { return }
    let limits = tracer.limits
    guard data.events.count < limits.eventCountLimit else {
      data.droppedEventsCount += 1
      return
    }
    var kept = attributes
    var dropped = 0
    if kept.count > limits.eventAttributeCountLimit {
      dropped = kept.count - limits.eventAttributeCountLimit
      kept.removeLast(dropped)
    }
    if let limit = limits.attributeValueLengthLimit {
      kept = kept.map { SpanAttribute($0.key, $0.value.truncated(to: limit)) }
    }
    data.events.append(
      SpanEvent(
        name: name, timeUnixNanos: time ?? tracer.now(), attributes: kept,
        droppedAttributesCount: dropped))
  }

  /// OpenTelemetry status rules: `ok` is final, `unset` never overrides.
  func setStatus(_ status: SpanStatus) {
    guard !ended else { return }
    switch (data.status, status) {
    case (.ok, _), (_, .unset): return
    default: data.status = status
    }
  }

  func end(time: UInt64?) {
    guard !ended else { return }
    ended = true
    data.endTimeUnixNanos = time ?? tracer.now()
    var finished = SpanData(name: "", kind: .internal, context: .invalid, startTimeUnixNanos: 0)
    swap(&finished, &data)
    tracer.processor.onEnd(consume finished)
  }
}

@available(*, unavailable)
extension SpanRecorder: Sendable {}
