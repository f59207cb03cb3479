/// BERT's pre-tokenizer (`"type": "BertPreTokenizer"`): splits normalized text into words at
/// whitespace (dropped) and around every punctuation character (kept as a word of its own).
enum BERTPreTokenizer {
  static func words(_ scalars: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
    var words: [ArraySlice<Unicode.Scalar>] = []
    var start = 0
    for (index, scalar) in scalars.enumerated() {
      let whitespace = BERTNormalizer.isWhitespace(scalar)
      guard whitespace || isPunctuation(scalar) else { continue }
      if start < index { words.append(scalars[start..<index]) }
      if !whitespace { words.append(scalars[index..<index + 1]) }
      start = index + 1
    }
    if start < scalars.count { words.append(scalars[start...]) }
    return words
  }

  /// Punctuation as BERT counts it: every ASCII symbol (`!` to `/`, `:` to `@`, `[` to `` ` ``,
  /// `{` to `~`) and every Unicode punctuation category (Pc, Pd, Ps, Pe, Pi, Pf, Po).
  static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 33...47, 58...64, 91...96, 123...126: return true
    default: break
    }
    switch scalar.properties.generalCategory {
    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
      .initialPunctuation, .finalPunctuation, .otherPunctuation:
      return true
    default:
      return false
    }
  }
}
