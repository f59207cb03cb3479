/// The lexical jailbreak / prompt-injection scorer: the router's statistical text classifier
/// (hashed TF-IDF unigrams and bigrams, softmax regression; `TextClassifier`) trained at
/// start-up on two classes, attempts and benign prompts, from the shipped example files.
///
/// A long text is scored in windows of about `windowBytes` (cut at whitespace) and its score
/// is the highest window's, so an attempt buried in a long document is not diluted by it.
/// Immutable after training; one instance serves every thread.
public struct LexicalPromptInjectionScorer: PromptInjectionScorer {
  /// Bytes per scored window: about the length of the longest training examples.
  public static let windowBytes = 512

  private let classifier: TextClassifier
  private let extractor = FeatureExtractor()

  /// Trains on `attacks` (label 1) and `benign` (label 0) examples.
  public init(attacks: [String], benign: [String]) {
    let examples = benign.map { (text: $0, label: 0) } + attacks.map { (text: $0, label: 1) }
    classifier = TextClassifier(labels: ["benign", "attack"], examples: examples)
  }

  public func score(_ text: String) -> Double {
    var text = text
    return text.withUTF8 { bytes in
      var best = 0.0
      var start = 0
      while start < bytes.count {
        var end = min(bytes.count, start + Self.windowBytes)
        if end < bytes.count {
          // Cut at the last whitespace of the window, when there is one.
          var cut = end
          while cut > start + Self.windowBytes / 2, !ByteClass.isSpace(bytes[cut - 1]) { cut -= 1 }
          if cut > start + Self.windowBytes / 2 { end = cut }
        }
        best = max(best, windowScore(UnsafeBufferPointer(rebasing: bytes[start..<end])))
        start = end
      }
      return best
    }
  }

  private func windowScore(_ bytes: UnsafeBufferPointer<UInt8>) -> Double {
    var features = TextClassifier.accumulator(forBytes: bytes.count)
    extractor.forEachFeature(in: bytes) { hash in
      features.add(TextClassifier.featureIndex(hash), 1)
    }
    guard !features.isEmpty else { return 0 }
    return Double(classifier.probabilities(of: features)[1])
  }
}
