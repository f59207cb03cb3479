import Foundation

/// BERT's text normalizer as `tokenizer.json` configures it (`"type": "BertNormalizer"`):
/// drop control characters and map whitespace to a space, surround CJK ideographs with spaces,
/// strip accents (NFD, then drop nonspacing marks) and lower-case, in that order.
struct BERTNormalizer: Sendable {
  var cleanText = true
  var handleChineseCharacters = true
  var stripAccents = true
  var lowercase = true

  func normalize(_ text: String) -> [Unicode.Scalar] {
    var scalars: [Unicode.Scalar] = []
    scalars.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
      if cleanText {
        if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
        if Self.isWhitespace(scalar) {
          scalars.append(" ")
          continue
        }
      }
      if handleChineseCharacters && Self.isChineseCharacter(scalar) {
        scalars.append(" ")
        scalars.append(scalar)
        scalars.append(" ")
      } else {
        scalars.append(scalar)
      }
    }
    if stripAccents {
      var composed = String.UnicodeScalarView()
      composed.append(contentsOf: scalars)
      scalars = String(composed).decomposedStringWithCanonicalMapping.unicodeScalars.filter {
        $0.properties.generalCategory != .nonspacingMark
      }
    }
    if lowercase {
      scalars = scalars.flatMap { scalar -> [Unicode.Scalar] in
        scalar.properties.changesWhenLowercased
          ? Array(scalar.properties.lowercaseMapping.unicodeScalars) : [scalar]
      }
    }
    return scalars
  }

  /// Whitespace as BERT counts it: the Unicode White_Space property (tab, newline and carriage
  /// return included).
  static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.isWhitespace
  }

  /// Control as BERT counts it: any "Other" category (Cc, Cf, Cn, Co, Cs) except tab, newline
  /// and carriage return, which are whitespace.
  static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar {
    case "\t", "\n", "\r": return false
    default:
      switch scalar.properties.generalCategory {
      case .control, .format, .unassigned, .privateUse, .surrogate: return true
      default: return false
      }
    }
  }

  /// The CJK Unified Ideographs blocks BERT splits into single-character words.
  static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
      0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
      return true
    default:
      return false
    }
  }
}
