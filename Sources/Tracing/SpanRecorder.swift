/// The mutable state of one recording span, until `end` hands a `SpanData` to the processor.
///
/// `@unchecked Sendable`: callers serialise access (one ext_proc stream's loop thread owns a
/// span); after `end` the recorder is never read again.
final class SpanRecorder: @unchecked Sendable {
  // Access is serialised by the owner; dynamic exclusivity checks cost ~10% of a span.
  @exclusivity(unchecked) var data: SpanData
  @exclusivity(unchecked) var ended = false
  let limits: SpanLimits
  let processor: any SpanProcessor
  let clock: any TracingClock

  init(data: SpanData, limits: SpanLimits, processor: any SpanProcessor, clock: any TracingClock) {
    self.data = data
    self.limits = limits
    self.processor = processor
    self.clock = clock
  }

  func setAttribute(_ key: String, _ value: AttributeValue) {
    guard !ended else { return }
    let value = limits.attributeValueLengthLimit.map { value.truncated(to: $0) } ?? value
    if !data.attributes.set(key, value, countLimit: limits.attributeCountLimit) {
      data.droppedAttributesCount += 1
    }
  }

  func addEvent(_ name: String, attributes: [SpanAttribute], time: UInt64?) {
    guard !ended else { return }
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
        name: name, timeUnixNanos: time ?? clock.nowUnixNanos(), attributes: kept,
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
    data.endTimeUnixNanos = time ?? clock.nowUnixNanos()
    // Nothing reads `data` after `end`: move it out (an empty span in its place) so the
    // processor queues it without retaining and later releasing each of its fields.
    var finished = SpanData(
      name: "", kind: data.kind, context: .invalid, startTimeUnixNanos: 0)
    swap(&finished, &data)
    processor.onEnd(finished)
  }
}
