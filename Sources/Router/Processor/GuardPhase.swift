/// The guard phase, between parse and classify: scans the whole prompt for PII and scores it
/// for jailbreak attempts, then applies the policy of the model the request goes to: a block
/// ends the exchange with a 400 before any backend is chosen, a redaction rewrites the body
/// (and the request the later phases see, so classification and the semantic cache only ever
/// see the redacted text), a flag adds a header for the upstream.
///
/// For "auto" the routed model's policy applies. When every model has the default policy that
/// policy is known at once; otherwise the lexical tier runs first to learn the model, and the
/// classify phase goes on from it rather than classifying again (after a redaction, the lexical
/// tier's answer stays, while the cache vector and the model's input are the redacted text's).
enum GuardPhase {
  /// Request header that carries a flagged request's jailbreak score to the upstream.
  static let jailbreakHeader = "x-semantic-router-jailbreak"

  /// What the phase decided.
  struct Outcome {
    /// The request and body the next phases use (redacted when the policy redacts).
    var request: OpenAIRequest
    var body: [UInt8]
    /// The body was rewritten and must replace the one Envoy holds.
    var bodyRewritten = false
    /// The lexical tier, run to learn the routed model's policy, for the classify phase: a
    /// decided classification is final (and was observed), else the model must still run.
    var classification: ClassificationStep?
    /// Set when the request is blocked: its error code and message.
    var block: (code: String, message: String)?
    /// Headers for the upstream request (the jailbreak flag).
    var upstreamHeaders: [(name: String, value: String)] = []
  }

  /// Runs the guards over a parsed request whose body is `body`.
  static func run(
    _ request: OpenAIRequest, body: [UInt8], guards: RequestGuards, router: SemanticRouter,
    observer: (any RequestObserver)?
  ) -> Outcome {
    var outcome = Outcome(request: request, body: body)
    let settings = guards.settings
    var policyModel = request.model
    if router.isAutoModel(request.model), !settings.isUniform {
      // Never waits for the embedding model: the classify phase runs it, off the loop.
      let (category, step) = ClassifyPhase.runLexicalTier(
        request, router: router, observer: observer)
      outcome.classification = step
      policyModel = router.model(forCategory: category).model
    }
    let policy = settings.policy(forModel: policyModel)
    observer?.guardsStarted()
    let findings = guards.inspect(request, scoreJailbreak: policy.jailbreak != .off)
    var record = GuardRecord(
      decision: .allow, piiTypes: findings.piiTypes, piiAction: policy.pii,
      jailbreakScore: findings.jailbreakScore, jailbreakAction: policy.jailbreak,
      jailbreakTruncated: findings.jailbreakTruncated)
    if let score = findings.jailbreakScore, score >= settings.jailbreakThreshold {
      record.jailbreakDetected = true
    }
    defer { observer?.guardsFinished(record) }

    if record.jailbreakDetected, policy.jailbreak == .block {
      record.decision = .deny
      record.reason = "jailbreak_detected"
      outcome.block = (
        "jailbreak_detected",
        "The request was refused: it reads as an attempt to override the model's instructions."
      )
      return outcome
    }
    if !findings.piiTypes.isEmpty, policy.pii == .block {
      record.decision = .deny
      record.reason = "pii_detected"
      outcome.block = ("pii_detected", blockedPIIMessage(findings.piiTypes))
      return outcome
    }
    if !findings.piiTypes.isEmpty, policy.pii == .redact {
      let redacted = PIIRedactor.redact(
        body: body, values: request.textValues, matches: findings.matches)
      guard let reparsed = try? OpenAIRequest.parse(redacted, endpoint: request.endpoint) else {
        // Cannot happen (only string literals are replaced by string literals); if it did,
        // the values must still not pass: refuse rather than forward them.
        record.decision = .deny
        record.reason = "pii_detected"
        outcome.block = ("pii_detected", blockedPIIMessage(findings.piiTypes))
        return outcome
      }
      record.decision = .modify
      outcome.body = redacted
      outcome.request = reparsed
      outcome.bodyRewritten = true
      outcome.classification = outcome.classification.map {
        router.lexicalTier($0, redactedTo: outcome.request)
      }
    }
    if record.jailbreakDetected, policy.jailbreak == .flag, let score = findings.jailbreakScore {
      if record.decision == .allow { record.decision = .warn }
      outcome.upstreamHeaders.append((jailbreakHeader, formatScore(score)))
    }
    return outcome
  }

  /// The `pii_detected` message: the types found, never the values.
  static func blockedPIIMessage(_ types: [PIIType]) -> String {
    let names = types.map(\.rawValue).joined(separator: ", ")
    return "The request was refused: it contains personal data or secrets (\(names)). "
      + "Remove them and send it again."
  }

  /// A score with three decimals (`0.931`).
  static func formatScore(_ score: Double) -> String {
    let thousandths = Int((score * 1000).rounded())
    let fraction = String(thousandths % 1000)
    return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
  }
}
