/// Scores how likely a text is a jailbreak or prompt-injection attempt, from 0 (benign) to 1.
///
/// The jailbreak guard depends on this protocol only, so another scorer (an embedding
/// classifier, say) can take the lexical one's place or be combined with it.
public protocol PromptInjectionScorer: Sendable {
  /// The score of `text`.
  func score(_ text: String) -> Double
}
