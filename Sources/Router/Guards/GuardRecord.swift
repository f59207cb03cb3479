/// What the request guards decided for one request, for the guard span and metrics (types and
/// scores only: never a detected value).
public struct GuardRecord: Sendable, Equatable {
  /// The overall decision, named as OpenTelemetry's GenAI security conventions name them
  /// (`gen_ai.security.decision.type`).
  public enum Decision: String, Sendable, Equatable {
    /// Nothing to act on (PII found under `allow` included).
    case allow
    /// Passed on with a jailbreak flag.
    case warn
    /// Passed on with PII redacted.
    case modify
    /// Answered with a 400.
    case deny
  }

  public var decision: Decision
  /// The error code of a denied request: `pii_detected` or `jailbreak_detected`.
  public var reason: String?
  /// The PII types found, and the action the policy takes on them.
  public var piiTypes: [PIIType]
  public var piiAction: PIIAction
  /// The jailbreak score (nil when the policy's jailbreak action is off), and the action.
  public var jailbreakScore: Double?
  public var jailbreakAction: JailbreakAction
  /// The score reached the threshold.
  public var jailbreakDetected: Bool
  /// A message was longer than `guards.jailbreak.max_scan_bytes`: only its head and tail were
  /// scored.
  public var jailbreakTruncated: Bool

  public init(
    decision: Decision, reason: String? = nil, piiTypes: [PIIType] = [],
    piiAction: PIIAction = .allow, jailbreakScore: Double? = nil,
    jailbreakAction: JailbreakAction = .off, jailbreakDetected: Bool = false,
    jailbreakTruncated: Bool = false
  ) {
    self.decision = decision
    self.reason = reason
    self.piiTypes = piiTypes
    self.piiAction = piiAction
    self.jailbreakScore = jailbreakScore
    self.jailbreakAction = jailbreakAction
    self.jailbreakDetected = jailbreakDetected
    self.jailbreakTruncated = jailbreakTruncated
  }
}
