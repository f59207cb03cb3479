/// What the PII guard does with a request that contains personal data or secrets.
public enum PIIAction: String, Sendable, Equatable, CaseIterable {
  /// Pass it on unchanged (the types found are still traced and counted).
  case allow
  /// Answer 400 `pii_detected`, naming the types found (never the values).
  case block
  /// Replace each value in the body by its type's placeholder (`[EMAIL]`...).
  case redact
}

/// What the jailbreak / prompt-injection guard does with a request scoring at or above the
/// threshold.
public enum JailbreakAction: String, Sendable, Equatable, CaseIterable {
  /// Not scored at all.
  case off
  /// Pass it on with the score in `x-semantic-router-jailbreak` and on the guard span.
  case flag
  /// Answer 400 `jailbreak_detected`.
  case block
}

/// The guard actions that apply to requests for one model.
public struct GuardPolicy: Sendable, Equatable, Hashable {
  public var pii: PIIAction
  public var jailbreak: JailbreakAction

  public init(pii: PIIAction = .allow, jailbreak: JailbreakAction = .off) {
    self.pii = pii
    self.jailbreak = jailbreak
  }
}

/// `guards:` and every model's `guards:` override: the request guards' settings.
public struct GuardSettings: Sendable, Equatable {
  /// The policy of models without an override (`guards.pii.action`,
  /// `guards.jailbreak.action`).
  public var defaultPolicy: GuardPolicy
  /// Per-model policies (`models[].guards`), the default filled in for what they omit.
  public var modelPolicies: [String: GuardPolicy]
  /// `guards.pii.types`: the PII types looked for (default: all).
  public var piiTypes: PIITypeSet
  /// `guards.jailbreak.threshold`: the score at or above which the jailbreak action applies.
  public var jailbreakThreshold: Double
  /// `guards.jailbreak.max_scan_bytes`: of a longer message, the first and last half of this
  /// many bytes are scored (0: every byte).
  public var jailbreakMaxScanBytes: Int
  /// Training examples of jailbreak and prompt-injection attempts
  /// (`guards.jailbreak.attack_examples_file`).
  public var attackExamples: [String]
  /// Training examples of benign prompts, look-alikes included
  /// (`guards.jailbreak.benign_examples_file`).
  public var benignExamples: [String]

  /// 0.7: chosen on the tuning sets (no false positive on 400 ordinary questions; see the
  /// README's guard figures).
  public static let defaultJailbreakThreshold = 0.7
  /// 4096: where instructions to a model sit (the start and the end of a message), and a bound
  /// on the scorer's cost, about 14 µs per KiB read (see the README's guard figures).
  public static let defaultJailbreakMaxScanBytes = 4096

  public init(
    defaultPolicy: GuardPolicy = GuardPolicy(), modelPolicies: [String: GuardPolicy] = [:],
    piiTypes: PIITypeSet = .all,
    jailbreakThreshold: Double = GuardSettings.defaultJailbreakThreshold,
    jailbreakMaxScanBytes: Int = GuardSettings.defaultJailbreakMaxScanBytes,
    attackExamples: [String] = [], benignExamples: [String] = []
  ) {
    self.defaultPolicy = defaultPolicy
    self.modelPolicies = modelPolicies
    self.piiTypes = piiTypes
    self.jailbreakThreshold = jailbreakThreshold
    self.jailbreakMaxScanBytes = jailbreakMaxScanBytes
    self.attackExamples = attackExamples
    self.benignExamples = benignExamples
  }

  /// The policy for requests to `model` (the routed model for "auto").
  public func policy(forModel model: String) -> GuardPolicy {
    modelPolicies[model] ?? defaultPolicy
  }

  /// Whether some policy scores jailbreaks.
  public var scoresJailbreaks: Bool {
    defaultPolicy.jailbreak != .off || modelPolicies.values.contains { $0.jailbreak != .off }
  }

  /// Whether every model has the default policy (then "auto" needs no routing to know it).
  public var isUniform: Bool {
    modelPolicies.values.allSatisfy { $0 == defaultPolicy }
  }
}
