import Tracing

/// The guard span's attributes and events, after OpenTelemetry's GenAI security ("guardian")
/// conventions: `gen_ai.operation.name` `apply_guardrail`, `gen_ai.guardian.name`,
/// `gen_ai.security.target.type` `llm_input`, `gen_ai.security.decision.type` (`allow`,
/// `warn`, `modify`, `deny`) with its reason, `gen_ai.security.content.redacted`, and one
/// `gen_ai.security.finding` event per finding (`gen_ai.security.risk.category` `pii` with
/// the types as `gen_ai.security.risk.metadata`, or `prompt_injection` with
/// `gen_ai.security.risk.score`). Our own `semantic_router.guard.*` attributes add the types,
/// the score and the configured actions. Never a detected value.
enum GuardSpanAttributes {
  static let guardianName = "semantic-router"

  static func record(_ record: GuardRecord, on span: Span) {
    guard span.isRecording else { return }
    span.setAttribute("gen_ai.operation.name", "apply_guardrail")
    span.setAttribute("gen_ai.guardian.name", guardianName)
    span.setAttribute("gen_ai.security.target.type", "llm_input")
    span.setAttribute("gen_ai.security.decision.type", record.decision.rawValue)
    switch record.decision {
    case .allow: break
    case .warn: span.setAttribute("gen_ai.security.decision.reason", "jailbreak_flagged")
    case .modify: span.setAttribute("gen_ai.security.decision.reason", "pii_redacted")
    case .deny: span.setAttribute("gen_ai.security.decision.reason", record.reason ?? "denied")
    }
    if record.decision == .modify { span.setAttribute("gen_ai.security.content.redacted", true) }
    let types = record.piiTypes.map(\.rawValue)
    span.setAttribute("semantic_router.guard.pii.types", .stringArray(types))
    span.setAttribute("semantic_router.guard.pii.action", record.piiAction.rawValue)
    span.setAttribute("semantic_router.guard.jailbreak.action", record.jailbreakAction.rawValue)
    if let score = record.jailbreakScore {
      span.setAttribute("semantic_router.guard.jailbreak.score", score)
    }
    if record.jailbreakTruncated {
      span.setAttribute("semantic_router.guard.jailbreak.truncated", true)
    }
    if !types.isEmpty {
      span.addEvent(
        "gen_ai.security.finding",
        attributes: [
          SpanAttribute("gen_ai.security.risk.category", .string("pii")),
          SpanAttribute("gen_ai.security.risk.metadata", .stringArray(types.map { "type:\($0)" })),
        ])
    }
    if record.jailbreakDetected, let score = record.jailbreakScore {
      span.addEvent(
        "gen_ai.security.finding",
        attributes: [
          SpanAttribute("gen_ai.security.risk.category", .string("prompt_injection")),
          SpanAttribute("gen_ai.security.risk.score", .double(score)),
        ])
    }
  }
}
