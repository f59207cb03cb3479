/// A keyword rule of a category: matches a query by whole words, before any statistical model.
///
/// Keywords match at word boundaries (`sum` does not match `summary`; `machine learning` matches
/// as a phrase). `OR` matches when any keyword occurs, `AND` when all do, `NOR` when none does.
public struct KeywordRule: Sendable, Equatable {
  public enum Operator: String, Sendable, Equatable, CaseIterable {
    case and = "AND"
    case or = "OR"
    case nor = "NOR"
  }

  public var `operator`: Operator
  public var keywords: [String]
  public var caseSensitive: Bool

  /// Needles as bytes, ASCII-lower-cased unless the rule is case sensitive.
  private let needles: [[UInt8]]

  public init(operator: Operator = .or, keywords: [String], caseSensitive: Bool = false) {
    self.operator = `operator`
    self.keywords = keywords
    self.caseSensitive = caseSensitive
    self.needles = keywords.map { keyword in
      caseSensitive ? Array(keyword.utf8) : keyword.utf8.map(TextBytes.asciiLowercased)
    }
  }

  public static func == (lhs: KeywordRule, rhs: KeywordRule) -> Bool {
    lhs.operator == rhs.operator && lhs.keywords == rhs.keywords
      && lhs.caseSensitive == rhs.caseSensitive
  }

  /// Whether the rule matches `text`.
  public func matches(_ text: String) -> Bool {
    var text = text
    return text.withUTF8 { matches(original: $0, lowercased: nil) }
  }

  /// Whether the rule matches; `lowercased` is the ASCII-lower-cased text when the caller has it
  /// (shared by all case-insensitive rules of a query).
  func matches(original: UnsafeBufferPointer<UInt8>, lowercased: UnsafeBufferPointer<UInt8>?)
    -> Bool
  {
    if caseSensitive {
      return evaluate(in: original)
    }
    if let lowercased {
      return evaluate(in: lowercased)
    }
    let folded = original.map(TextBytes.asciiLowercased)
    return folded.withUnsafeBufferPointer { evaluate(in: $0) }
  }

  private func evaluate(in text: UnsafeBufferPointer<UInt8>) -> Bool {
    switch self.operator {
    case .or: return needles.contains { TextBytes.containsWord($0, in: text) }
    case .and:
      return !needles.isEmpty && needles.allSatisfy { TextBytes.containsWord($0, in: text) }
    case .nor: return !needles.contains { TextBytes.containsWord($0, in: text) }
    }
  }
}
