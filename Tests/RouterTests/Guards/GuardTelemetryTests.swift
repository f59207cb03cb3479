import ExtProc
import Metrics
import Router
import Testing
import Tracing

/// The guard span and the guard metrics for the records the guard phase produces.
@Suite struct GuardTelemetryTests {
  private static let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

  private func guardSpan(_ record: GuardRecord) throws -> SpanData {
    let spans = RecordingSpanProcessor()
    let tracing = RouterTracing(
      tracer: Tracer(
        processor: spans, clock: SteppingClock(), idGenerator: RandomIDGenerator(seed: 7)))
    let observer = try #require(
      tracing.makeObserver(ProcessorContext(metadata: HTTPHeaders(), peerAddress: "t")))
    observer.requestStarted(
      method: "POST", path: "/v1/chat/completions",
      headers: HTTPHeaders([("traceparent", Self.traceparent)]))
    observer.guardsStarted()
    observer.guardsFinished(record)
    observer.immediateResponse(status: 400, reason: "pii_detected", record: nil)
    let span = try spans.span(TracingRequestObserver.guardSpanName)
    let root = try spans.span(TracingRequestObserver.requestSpanName)
    #expect(span.parentSpanID == root.context.spanID)
    #expect(span.kind == .internal)
    return span
  }

  @Test func deniedRequest_spanNamesTheTypesAndDecision_neverTheValues() throws {
    let span = try guardSpan(
      GuardRecord(
        decision: .deny, reason: "pii_detected", piiTypes: [.email, .card], piiAction: .block))
    #expect(span.attribute("gen_ai.operation.name") == .string("apply_guardrail"))
    #expect(span.attribute("gen_ai.guardian.name") == .string("semantic-router"))
    #expect(span.attribute("gen_ai.security.target.type") == .string("llm_input"))
    #expect(span.attribute("gen_ai.security.decision.type") == .string("deny"))
    #expect(span.attribute("gen_ai.security.decision.reason") == .string("pii_detected"))
    #expect(span.attribute("semantic_router.guard.pii.types") == .stringArray(["email", "card"]))
    #expect(span.attribute("semantic_router.guard.pii.action") == .string("block"))
    #expect(span.attribute("semantic_router.guard.jailbreak.score") == nil)
    let finding = try #require(span.events.first)
    #expect(finding.name == "gen_ai.security.finding")
    #expect(
      finding.attributes.contains(
        SpanAttribute("gen_ai.security.risk.metadata", .stringArray(["type:email", "type:card"]))))
  }

  @Test func flaggedAndRedactedRequest_spanHasTheScoreAndRedactedFlag() throws {
    let span = try guardSpan(
      GuardRecord(
        decision: .modify, piiTypes: [.ip], piiAction: .redact, jailbreakScore: 0.91,
        jailbreakAction: .flag, jailbreakDetected: true, jailbreakTruncated: true))
    #expect(span.attribute("gen_ai.security.decision.type") == .string("modify"))
    #expect(span.attribute("semantic_router.guard.jailbreak.truncated") == .bool(true))
    #expect(span.attribute("gen_ai.security.content.redacted") == .bool(true))
    #expect(span.attribute("semantic_router.guard.jailbreak.score") == .double(0.91))
    #expect(span.attribute("semantic_router.guard.jailbreak.action") == .string("flag"))
    #expect(span.events.map(\.name) == ["gen_ai.security.finding", "gen_ai.security.finding"])
    #expect(
      span.events.last?.attributes.contains(
        SpanAttribute("gen_ai.security.risk.category", .string("prompt_injection"))) == true)
  }

  @Test func guardMetrics_countTypesAndActions() {
    let registry = MetricsRegistry()
    let observer = RouterMetrics(registry: registry).makeObserver()
    observer.guardsStarted()
    observer.guardsFinished(
      GuardRecord(
        decision: .deny, reason: "jailbreak_detected", piiTypes: [.email, .phone],
        piiAction: .redact, jailbreakScore: 0.95, jailbreakAction: .block,
        jailbreakDetected: true, jailbreakTruncated: true))
    observer.guardsStarted()
    observer.guardsFinished(GuardRecord(decision: .modify, piiTypes: [.email], piiAction: .redact))
    let text = registry.renderPrometheusText()
    #expect(
      text.contains(
        #"semantic_router_guard_pii_detections_total{type="email",action="redact"} 2"#))
    #expect(
      text.contains(
        #"semantic_router_guard_pii_detections_total{type="phone",action="redact"} 1"#))
    #expect(text.contains(#"semantic_router_guard_jailbreak_detections_total{action="block"} 1"#))
    #expect(text.contains("semantic_router_guard_jailbreak_truncated_total 1"))
    #expect(text.contains("semantic_router_guard_duration_seconds_count 2"))
  }
}
