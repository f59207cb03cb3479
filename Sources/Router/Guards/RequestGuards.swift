/// The request guards of one configuration: the PII scanner for the configured types and,
/// when some policy scores jailbreaks, the prompt-injection scorer trained at start-up.
///
/// Immutable after `init`; one instance serves every thread.
public final class RequestGuards: Sendable {
  public let settings: GuardSettings
  let scanner: PIIScanner
  let scorer: (any PromptInjectionScorer)?

  /// Sets the guards up from `settings`, training the lexical scorer when a policy needs it.
  public convenience init(settings: GuardSettings) {
    let scorer: (any PromptInjectionScorer)? =
      settings.scoresJailbreaks
      ? LexicalPromptInjectionScorer(
        attacks: settings.attackExamples, benign: settings.benignExamples) : nil
    self.init(settings: settings, scorer: scorer)
  }

  /// Guards with a given scorer (tests, or another scorer than the lexical one).
  public init(settings: GuardSettings, scorer: (any PromptInjectionScorer)?) {
    self.settings = settings
    self.scanner = PIIScanner(types: settings.piiTypes)
    self.scorer = scorer
  }

  /// What the guards find in a request: the PII in each of its text values (the whole prompt,
  /// every message), and, when `scoreJailbreak`, the highest jailbreak score of the text the
  /// user or a tool wrote (system and assistant messages are the operator's and the model's).
  func inspect(_ request: OpenAIRequest, scoreJailbreak: Bool) -> GuardFindings {
    var findings = GuardFindings()
    findings.matches.reserveCapacity(request.textValues.count)
    var found = PIITypeSet([])
    for value in request.textValues {
      let matches = scanner.scan(value.text)
      for match in matches { found.insert(match.type) }
      findings.matches.append(matches)
    }
    findings.piiTypes = found.types
    if scoreJailbreak, let scorer {
      var best = 0.0
      for value in request.textValues where Self.isUserText(value, in: request) {
        let (score, truncated) = jailbreakScore(value.text, scorer: scorer)
        best = max(best, score)
        if truncated { findings.jailbreakTruncated = true }
      }
      findings.jailbreakScore = best
    }
    return findings
  }

  /// The score of one text; of a text over `max_scan_bytes`, the higher of its head's and its
  /// tail's (`QueryWindow`, cut at word boundaries), and `truncated` set.
  private func jailbreakScore(
    _ text: String, scorer: any PromptInjectionScorer
  ) -> (score: Double, truncated: Bool) {
    let limit = settings.jailbreakMaxScanBytes
    guard limit > 0, text.utf8.count > limit else { return (scorer.score(text), false) }
    var text = text
    return text.withUTF8 { bytes in
      let window = QueryWindow(bytes, limit: limit)
      let head = String(decoding: bytes[window.head], as: UTF8.self)
      let tail = String(decoding: bytes[window.tail], as: UTF8.self)
      return (max(scorer.score(head), scorer.score(tail)), true)
    }
  }

  private static func isUserText(_ value: OpenAIRequest.TextValue, in request: OpenAIRequest)
    -> Bool
  {
    guard let index = value.message, index < request.messages.count else { return true }
    switch request.messages[index].role {
    case "system", "developer", "assistant": return false
    default: return true
    }
  }
}

/// What the guards found in one request.
struct GuardFindings {
  /// The PII matches of each of the request's text values, in the same order.
  var matches: [[PIIMatch]] = []
  /// The PII types found, in declaration order.
  var piiTypes: [PIIType] = []
  /// The jailbreak score, when scored.
  var jailbreakScore: Double?
  /// A message was longer than `max_scan_bytes`: only its head and tail were scored.
  var jailbreakTruncated = false
}
