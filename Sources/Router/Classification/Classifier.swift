/// Classifies a query into one of the configured categories: keyword rules first, then a
/// statistical classifier trained at start-up from the categories' examples; below the
/// confidence threshold the fallback category applies.
///
/// Immutable after `init` (training takes milliseconds); one instance serves every thread.
public final class Classifier: Sendable {
  /// Weight of system-prompt features relative to the user's own words.
  static let contextWeight: Float = 0.5

  private let keywords: KeywordMatcher
  private let model: TextClassifier?
  private let extractor = FeatureExtractor()
  public let fallbackCategory: String
  public let confidenceThreshold: Double
  /// Longest query (and system prompt) read whole; of a longer one, the first and last half of
  /// this many bytes are read (`QueryWindow`). 0 reads everything.
  public let maxQueryBytes: Int

  /// Trains on every category's examples. Categories without examples are reachable through
  /// keyword rules only.
  public init(
    categories: [CategoryConfiguration], fallbackCategory: String, confidenceThreshold: Double,
    maxQueryBytes: Int = ClassifierSettings.defaultMaxQueryBytes
  ) {
    self.keywords = KeywordMatcher(categories: categories)
    self.fallbackCategory = fallbackCategory
    self.confidenceThreshold = confidenceThreshold
    self.maxQueryBytes = maxQueryBytes
    let trained = categories.filter { !$0.examples.isEmpty || !$0.lexicon.isEmpty }
    if trained.isEmpty {
      self.model = nil
    } else {
      var examples: [(text: String, label: Int)] = []
      for (label, category) in trained.enumerated() {
        for example in category.examples + category.lexicon { examples.append((example, label)) }
      }
      self.model = TextClassifier(labels: trained.map(\.name), examples: examples)
    }
  }

  /// The classifier a configuration describes.
  public convenience init(configuration: RouterConfiguration) {
    self.init(
      categories: configuration.categories, fallbackCategory: configuration.fallbackCategory,
      confidenceThreshold: configuration.classifier.confidenceThreshold,
      maxQueryBytes: configuration.classifier.maxQueryBytes)
  }

  /// The category names the statistical classifier can predict.
  public var trainedCategories: [String] { model?.labels ?? [] }

  /// Classifies `text` (the user's query); `context` (the system prompt) is added at a lower
  /// weight when the query alone is not conclusive. Of a text over `maxQueryBytes`, only its
  /// window is read. The cache vector is the query's alone (the cache keys the system prompt
  /// and the unread middle exactly, see `SemanticRouter.cacheKey`); `wantsVector: false` skips
  /// it (no cache) and leaves `Classification.vector` empty.
  public func classify(
    _ text: String, context: String? = nil, wantsVector: Bool = true
  ) -> Classification {
    let context = context.flatMap { $0.isEmpty ? nil : $0 }
    let readBytes = maxQueryBytes > 0 ? min(text.utf8.count, maxQueryBytes) : text.utf8.count
    var features = TextClassifier.accumulator(forBytes: readBytes)
    var keywordCategory: String?
    withWindow(of: text) { bytes in
      // One read of the text for the keyword rules and the features.
      var scan = keywords.startScan()
      extractor.forEachFeature(in: bytes) { word, foldedHash in
        keywords.visit(word: word, foldedHash: foldedHash, in: bytes, &scan)
      } _: { hash in
        features.add(TextClassifier.featureIndex(hash), 1)
      }
      keywordCategory = keywords.finish(&scan, in: bytes)
    }

    if let keywordCategory {
      return Classification(
        category: keywordCategory, confidence: 1, method: .keyword,
        vector: wantsVector ? Self.vector(features, model: model) : .empty)
    }
    guard let model else {
      return Classification(
        category: fallbackCategory, confidence: 0, method: .fallback,
        vector: wantsVector ? Self.vector(features, model: nil) : .empty)
    }
    var vector = QueryVector.empty
    var best: (label: String, probability: Double)?
    if features.isEmpty {
      if wantsVector { vector = Self.vector(features, model: model) }
    } else if wantsVector {
      // One pass over the features scores them and folds the same TF-IDF values into the
      // cache vector.
      var components = [Float](repeating: 0, count: QueryVector.dimensions)
      let probabilities = model.probabilities(of: features) { index, value in
        QueryVector.fold(index, value, into: &components)
      }
      vector = QueryVector(normalizing: components)
      best = Self.top(probabilities, labels: model.labels)
    } else {
      best = Self.top(model.probabilities(of: features), labels: model.labels)
    }
    if let context, (best?.probability ?? 0) < confidenceThreshold {
      addFeatures(of: context, weight: Self.contextWeight, to: &features)
      let withContext = Self.top(model.probabilities(of: features), labels: model.labels)
      if withContext.probability > best?.probability ?? 0 { best = withContext }
    }
    guard let best else {
      return Classification(
        category: fallbackCategory, confidence: 0, method: .fallback, vector: vector)
    }
    if best.probability >= confidenceThreshold {
      return Classification(
        category: best.label, confidence: best.probability, method: .statistical,
        predictedCategory: best.label, vector: vector)
    }
    return Classification(
      category: fallbackCategory, confidence: best.probability, method: .fallback,
      predictedCategory: best.label, vector: vector)
  }

  /// The cache vector `classify` builds for `text` (its read window's features weighted by
  /// TF-IDF), without the keyword rules and the scoring: for a text the guards redacted after
  /// its category was known.
  public func queryVector(of text: String) -> QueryVector {
    let readBytes = maxQueryBytes > 0 ? min(text.utf8.count, maxQueryBytes) : text.utf8.count
    var features = TextClassifier.accumulator(forBytes: readBytes)
    withWindow(of: text) { bytes in
      extractor.forEachFeature(in: bytes) { hash in
        features.add(TextClassifier.featureIndex(hash), 1)
      }
    }
    return Self.vector(features, model: model)
  }

  /// A digest of the part of `text` that `classify` does not read, nil when it reads it all.
  /// FNV-1a, the same in every process, so replicas sharing a cache agree on keys.
  public func unreadDigest(of text: String) -> Int? {
    var text = text
    return text.withUTF8 { bytes in
      let window = QueryWindow(bytes, limit: maxQueryBytes)
      guard !window.isWhole else { return nil }
      // Stable across processes, so replicas sharing a cache compute the same key.
      let middle = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[window.middle]))
      return Int(truncatingIfNeeded: ContentDigest.of(middle))
    }
  }

  /// The part of `text` the classifier reads, as text: all of it, or its window's head and
  /// tail joined by a line break (what the embedding model is given, so the cache key's digest
  /// of the unread middle holds for both classifiers).
  public func readText(of text: String) -> String {
    var result = text
    withWindow(of: text) { bytes in
      if bytes.count != text.utf8.count { result = String(decoding: bytes, as: UTF8.self) }
    }
    return result
  }

  /// Calls `body` with the bytes of `text` the classifier reads: all of them, or its window's
  /// head and tail joined by a line break.
  private func withWindow(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
    var text = text
    text.withUTF8 { bytes in
      let window = QueryWindow(bytes, limit: maxQueryBytes)
      if window.isWhole { return body(bytes) }
      let length = window.head.count + 1 + window.tail.count
      withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { joined in
        var end = joined.initialize(fromContentsOf: bytes[window.head])
        joined[end] = UInt8(ascii: "\n")
        end += 1
        end = joined[end...].initialize(fromContentsOf: bytes[window.tail])
        body(UnsafeBufferPointer(rebasing: joined[..<end]))
        joined.deinitialize()
      }
    }
  }

  private func addFeatures(
    of text: String, weight: Float, to accumulator: inout SparseAccumulator
  ) {
    withWindow(of: text) { bytes in
      extractor.forEachFeature(in: bytes) { hash in
        accumulator.add(TextClassifier.featureIndex(hash), weight)
      }
    }
  }

  private static func top(
    _ probabilities: [Float], labels: [String]
  ) -> (label: String, probability: Double) {
    var bestIndex = 0
    for index in probabilities.indices where probabilities[index] > probabilities[bestIndex] {
      bestIndex = index
    }
    return (labels[bestIndex], Double(probabilities[bestIndex]))
  }

  private static func vector(_ features: SparseAccumulator, model: TextClassifier?) -> QueryVector {
    QueryVector(features: features) { index, count in
      model?.tfidf(index: index, count: count) ?? count
    }
  }
}
