import Testing

@testable import Tracing

@Suite("tracer and spans")
struct TracerTests {
  let clock = ManualClock()
  let processor = CollectingProcessor()

  func tracer(
    sampler: any Sampler = ParentBasedSampler(root: AlwaysOnSampler()),
    limits: SpanLimits = SpanLimits(), metrics: TracingMetrics = TracingMetrics()
  ) -> Tracer {
    Tracer(sampler: sampler, processor: processor, limits: limits, metrics: metrics, clock: clock)
  }

  static let remoteParent = TraceContextPropagator.extract(
    traceparent: ["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03"],
    tracestate: ["vendor=1"]
  ).parent!

  @Test func childOfRemoteParent_recordsEverythingAndHandsItToTheProcessorAtEnd() throws {
    let t = tracer()
    let start = clock.nowUnixNanos()
    let span = t.startSpan(
      "semantic_router.request.received", kind: .server, parent: Self.remoteParent,
      attributes: [SpanAttribute("http.request.method", "POST")])
    #expect(span.isRecording)
    #expect(span.context.traceID == Self.remoteParent.traceID)
    #expect(span.context.spanID != Self.remoteParent.spanID)
    #expect(span.context.traceFlags == [.sampled, .random])
    #expect(span.context.traceState == Self.remoteParent.traceState)
    span.setAttribute("cache.hit", false)
    span.setAttribute("gen_ai.usage.input_tokens", 12)
    span.setAttribute("classification.confidence", 0.75)
    span.setAttribute("http.request.method", "GET")
    clock.advance(nanoseconds: 1_000)
    span.addEvent("gen_ai.first_token")
    span.setStatus(.error(message: "upstream 503"))
    clock.advance(nanoseconds: 5_000)
    span.end()
    span.end()
    span.setAttribute("late", true)
    #expect(!span.isRecording)

    #expect(processor.ended.count == 1)
    let data = try #require(processor.ended.first)
    #expect(data.name == "semantic_router.request.received")
    #expect(data.kind == .server)
    #expect(data.parentSpanID == Self.remoteParent.spanID)
    #expect(data.parentIsRemote == true)
    #expect(data.otlpFlags == 0x303)
    #expect(data.startTimeUnixNanos == start)
    #expect(data.endTimeUnixNanos == start + 6_000)
    #expect(
      data.attributes == [
        SpanAttribute("http.request.method", "GET"), SpanAttribute("cache.hit", false),
        SpanAttribute("gen_ai.usage.input_tokens", .int(12)),
        SpanAttribute("classification.confidence", 0.75),
      ])
    #expect(data.events == [SpanEvent(name: "gen_ai.first_token", timeUnixNanos: start + 1_000)])
    #expect(data.status == .error(message: "upstream 503"))
  }

  @Test func unsampledParent_givesNonRecordingSpanThatStillPropagates() {
    let metrics = TracingMetrics()
    var parent = Self.remoteParent
    parent.traceFlags = [.random]
    let span = tracer(metrics: metrics).startSpan("x", parent: parent)
    #expect(!span.isRecording)
    #expect(span.context.traceID == parent.traceID)
    #expect(span.context.spanID.isValid)
    #expect(span.context.spanID != parent.spanID)
    #expect(span.context.traceparent.hasSuffix("-02"))
    span.setAttribute("ignored", true)
    span.end()
    #expect(processor.ended.isEmpty)
    let snapshot = metrics.snapshot()
    #expect(snapshot.spansStarted == 1)
    #expect(snapshot.spansSampled == 0)
  }

  @Test func root_getsARandomTraceIDAndTheRandomFlag() {
    let a = tracer().startSpan("a", parent: nil)
    let b = tracer().startSpan("b", parent: SpanContext.invalid)
    #expect(a.context.traceID.isValid)
    #expect(a.context.traceID != b.context.traceID)
    #expect(a.context.traceFlags == [.sampled, .random])
    a.end()
    #expect(processor.ended.first?.parentSpanID == nil)
    #expect(processor.ended.first?.otlpFlags == 0x103)
  }

  @Test func localChild_hasLocalParent() {
    let t = tracer()
    let root = t.startSpan("root", parent: nil)
    let child = t.startSpan("child", parent: root.context)
    child.end()
    #expect(processor.ended.first?.parentSpanID == root.context.spanID)
    #expect(processor.ended.first?.parentIsRemote == false)
    #expect(processor.ended.first?.otlpFlags == 0x103)
  }

  @Test func setAttribute_replacesOnlyTheSameKey_amongKeysOfEqualLength() throws {
    let span = tracer().startSpan("s", parent: nil)
    let long = String(repeating: "k", count: 65)  // 65 % 64 == 1, like "a" and "b"
    span.setAttribute("a", 1)
    span.setAttribute("b", 2)
    span.setAttribute(long, 3)
    span.setAttribute("b", 4)
    span.setAttribute(long, 5)
    span.setAttribute("ab", 6)
    span.end()
    let data = try #require(processor.ended.first)
    #expect(
      data.attributes == [
        SpanAttribute("a", .int(1)), SpanAttribute("b", .int(4)), SpanAttribute(long, .int(5)),
        SpanAttribute("ab", .int(6)),
      ])
  }

  @Test func limits_dropAttributesAndEventsBeyondTheCountAndTruncateValues() throws {
    let t = tracer(
      limits: SpanLimits(
        attributeCountLimit: 2, attributeValueLengthLimit: 3, eventCountLimit: 1,
        eventAttributeCountLimit: 1))
    let span = t.startSpan("s", parent: nil)
    span.setAttribute("a", "abcdef")
    span.setAttribute("b", .stringArray(["xyzw", "q"]))
    span.setAttribute("c", 1)
    span.setAttribute("d", 2)
    span.setAttribute("a", "zz")  // replacing an existing key is allowed
    span.addEvent("e1", attributes: [SpanAttribute("k1", "long value"), SpanAttribute("k2", 1)])
    span.addEvent("e2")
    span.end()
    let data = try #require(processor.ended.first)
    #expect(data.attributes == [SpanAttribute("a", "zz"), SpanAttribute("b", .stringArray(["xyz", "q"]))])
    #expect(data.droppedAttributesCount == 2)
    #expect(data.events.count == 1)
    #expect(data.events[0].attributes == [SpanAttribute("k1", "lon")])
    #expect(data.events[0].droppedAttributesCount == 1)
    #expect(data.droppedEventsCount == 1)
  }

  @Test func status_okIsFinalAndUnsetNeverOverrides() throws {
    let span = tracer().startSpan("s", parent: nil)
    span.setStatus(.error(message: "first"))
    span.setStatus(.unset)
    span.setStatus(.ok)
    span.setStatus(.error(message: "late"))
    span.end()
    #expect(try #require(processor.ended.first).status == .ok)
  }

  @Test func disabledTracer_passesTheParentContextThroughUnchanged() {
    let span = Tracer.disabled().startSpan("s", parent: Self.remoteParent)
    #expect(!span.isRecording)
    #expect(span.context == Self.remoteParent)
    #expect(Tracer.disabled().startSpan("s", parent: nil).context == .invalid)
  }

  @Test func randomIDGenerator_producesDistinctNonZeroIDs() {
    let ids = RandomIDGenerator()
    var seen = Set<UInt64>()
    for _ in 0..<10_000 {
      let id = ids.spanID()
      #expect(id.isValid)
      seen.insert(id.value)
    }
    #expect(seen.count == 10_000)
  }
}
