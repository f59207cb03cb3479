/// The mutable state of one recording span, until `end` hands a `SpanData` to the processor.
///
/// `@unchecked Sendable`: callers serialise access (one ext_proc stream's loop thread owns a
/// span); after `end` the recorder holds nothing.
final class SpanRecorder: @unchecked Sendable {
  /// The span being recorded; nil once ended (moved to the processor, so queueing it neither
  /// copies it nor retains and later releases each of its fields).
  // Access is serialised by the owner; dynamic exclusivity checks cost ~10% of a span.
  @exclusivity(unchecked) private var data: SpanData?
  /// Limits, processor and clock: one reference rather than a copy of each per span.
  private let tracer: Tracer

  init(data: SpanData, tracer: Tracer) {
    self.data = data
    self.tracer = tracer
  }

  var ended: Bool { data == nil }

  func updateName(_ name: String) {
    data?.name = name
  }

  func setAttribute(_ key: String, _ value: AttributeValue) {
    guard data != nil else { return }
    let limits = tracer.limits
    let value = limits.attributeValueLengthLimit.map { value.truncated(to: $0) } ?? value
    if !data!.attributes.set(key, value, countLimit: limits.attributeCountLimit) {
      data!.droppedAttributesCount += 1
    }
  }

  func addEvent(_ name: String, attributes: [SpanAttribute], time: UInt64?) {
    guard data != nil else { return }
    let limits = tracer.limits
    guard data!.events.count < limits.eventCountLimit else {
      data!.droppedEventsCount += 1
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
    data!.events.append(
      SpanEvent(
        name: name, timeUnixNanos: time ?? tracer.clock.nowUnixNanos(), attributes: kept,
        droppedAttributesCount: dropped))
  }

  /// OpenTelemetry status rules: `ok` is final, `unset` never overrides.
  func setStatus(_ status: SpanStatus) {
    guard let current = data?.status else { return }
    switch (current, status) {
    case (.ok, _), (_, .unset): return
    default: data!.status = status
    }
  }

  func end(time: UInt64?) {
    guard data != nil else { return }
    data!.endTimeUnixNanos = time ?? tracer.clock.nowUnixNanos()
    tracer.processor.onEnd(data.take()!)
  }
}
