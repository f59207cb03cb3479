import Foundation

/// A multinomial logistic-regression (softmax) text classifier over hashed TF-IDF features,
/// trained in-process from labeled examples: no network, no downloaded model, microseconds per
/// query.
///
/// Features are stemmed unigrams and bigrams (`FeatureExtractor`) hashed into 2^18 slots,
/// weighted by sublinear term frequency times inverse document frequency and L2-normalized.
/// Weights are stored feature-major, so scoring a query touches one cache line per feature.
/// Immutable after training, so one instance serves every thread.
struct TextClassifier: Sendable {
  static let dimensionBits = 18
  static let dimensions = 1 << dimensionBits

  /// Training hyper-parameters (fixed: the data, not the user, decides the rest).
  struct Training {
    var epochs = 40
    var learningRate: Float = 5
    var l2: Float = 1e-5
    /// Shuffle seed, so training is deterministic.
    var seed: UInt64 = 0x5EED
  }

  let labels: [String]
  private let extractor: FeatureExtractor
  private let idf: [Float]
  private let weights: [Float]

  /// Trains on `examples` (text, label index into `labels`).
  init(
    labels: [String], examples: [(text: String, label: Int)], training: Training = Training()
  ) {
    let extractor = FeatureExtractor()
    self.labels = labels
    self.extractor = extractor
    let classCount = labels.count

    // Document frequencies, then IDF (smoothed, as scikit-learn's `smooth_idf`).
    var documentFrequency = [Int32](repeating: 0, count: Self.dimensions)
    var counts: [SparseAccumulator] = []
    counts.reserveCapacity(examples.count)
    for example in examples {
      let accumulator = Self.termCounts(example.text, extractor: extractor)
      accumulator.forEach { index, _ in documentFrequency[Int(index)] += 1 }
      counts.append(accumulator)
    }
    let documents = Float(examples.count)
    let idf = documentFrequency.map { Float(log((1 + documents) / (1 + Float($0)))) + 1 }
    self.idf = idf

    // Training vectors.
    let vectors: [[(Int, Float)]] = counts.map { accumulator in
      Self.normalizedTFIDF(accumulator, idf: idf)
    }

    // Stochastic gradient descent on the cross-entropy loss. No bias term: the categories have
    // similar example counts, and without one a query with no known feature scores every
    // category alike (so it falls back) instead of following the noise a bias picks up.
    var weights = [Float](repeating: 0, count: Self.dimensions * classCount)
    var order = Array(examples.indices)
    var random = SplitMix64(seed: training.seed)
    var probabilities = [Float](repeating: 0, count: classCount)
    for epoch in 0..<training.epochs {
      order.shuffle(using: &random)
      let rate = training.learningRate / (1 + Float(epoch) * 0.1)
      for position in order {
        let vector = vectors[position]
        let label = examples[position].label
        Self.scores(vector, weights: weights, classCount: classCount, into: &probabilities)
        Self.softmax(&probabilities)
        for klass in 0..<classCount {
          let gradient = probabilities[klass] - (klass == label ? 1 : 0)
          for (index, value) in vector {
            let slot = index * classCount + klass
            weights[slot] -= rate * (gradient * value + training.l2 * weights[slot])
          }
        }
      }
    }
    self.weights = weights
  }

  /// Per-class probabilities for a query's summed feature weights.
  func probabilities(of accumulator: SparseAccumulator) -> [Float] {
    let vector = Self.normalizedTFIDF(accumulator, idf: idf)
    var result = [Float](repeating: 0, count: labels.count)
    Self.scores(vector, weights: weights, classCount: labels.count, into: &result)
    Self.softmax(&result)
    return result
  }

  /// The slot of a feature hash.
  @inline(__always)
  static func featureIndex(_ hash: FeatureExtractor.Hash) -> Int32 {
    Int32(truncatingIfNeeded: hash & UInt64(dimensions - 1))
  }

  /// The IDF-weighted value of a feature with summed term weight `count` (for query vectors).
  func tfidf(index: Int32, count: Float) -> Float {
    Self.sublinearTF(count) * idf[Int(index)]
  }

  /// `1 + ln(count)` for counts of 1 and more, `count` below (context features weigh 0.5 per
  /// occurrence); small whole counts, the usual case, come from a table.
  @inline(__always)
  static func sublinearTF(_ count: Float) -> Float {
    if count < 1 { return count }
    let whole = Int(count)
    if whole < logTable.count, Float(whole) == count { return logTable[whole] }
    return 1 + log(count)
  }

  private static let logTable: [Float] = (0..<32).map { $0 == 0 ? 0 : 1 + log(Float($0)) }

  /// A table sized for the features of a text of `byteCount` bytes.
  static func accumulator(forBytes byteCount: Int) -> SparseAccumulator {
    SparseAccumulator(expectedFeatures: min(byteCount / 2 + 8, 1 << 15))
  }

  // MARK: - Math

  private static func termCounts(
    _ text: String, extractor: FeatureExtractor
  ) -> SparseAccumulator {
    var accumulator = accumulator(forBytes: text.utf8.count)
    extractor.forEachFeature(in: text) { hash in
      accumulator.add(featureIndex(hash), 1)
    }
    return accumulator
  }

  /// Sublinear TF (1 + ln tf) times IDF, L2-normalized; weights below 1 (context features)
  /// scale the term linearly.
  private static func normalizedTFIDF(
    _ accumulator: SparseAccumulator, idf: [Float]
  ) -> [(Int, Float)] {
    var vector: [(Int, Float)] = []
    var norm: Float = 0
    accumulator.forEach { index, count in
      let tf = sublinearTF(count)
      let value = tf * idf[Int(index)]
      vector.append((Int(index), value))
      norm += value * value
    }
    guard norm > 0 else { return vector }
    let scale = 1 / norm.squareRoot()
    for position in vector.indices { vector[position].1 *= scale }
    return vector
  }

  private static func scores(
    _ vector: [(Int, Float)], weights: [Float], classCount: Int, into result: inout [Float]
  ) {
    for klass in 0..<classCount { result[klass] = 0 }
    weights.withUnsafeBufferPointer { weights in
      for (index, value) in vector {
        let base = index * classCount
        for klass in 0..<classCount { result[klass] += weights[base + klass] * value }
      }
    }
  }

  private static func softmax(_ values: inout [Float]) {
    guard let maximum = values.max() else { return }
    var sum: Float = 0
    for index in values.indices {
      values[index] = exp(values[index] - maximum)
      sum += values[index]
    }
    for index in values.indices { values[index] /= sum }
  }
}

/// A small deterministic random number generator (SplitMix64) for shuffling training data.
struct SplitMix64: RandomNumberGenerator {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
