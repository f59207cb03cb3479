import Foundation

/// A multinomial logistic-regression (softmax) text classifier over hashed TF-IDF features,
/// trained in-process from labeled examples: no network, no downloaded model, microseconds per
/// query.
///
/// Features are stemmed unigrams and bigrams (`FeatureExtractor`) hashed into 2^18 slots,
/// weighted by sublinear term frequency times inverse document frequency and L2-normalized.
///
/// After training, only the slots seen in training keep a row (their IDF, then the class
/// weights quantized to 8 bits with a per-row scale: 16 bytes for 8 classes): every other slot
/// has the unseen-feature IDF and zero weights, shared in row 0. A 2^18-entry index picks the
/// row (16-bit entries while there are fewer than 2^16 rows, 512 KB). This keeps what a query
/// touches small enough to stay in the CPU caches across distinct queries (the dense tables
/// were 9 MB).
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
  /// Row of each slot in `rows` (0: a slot no training example has).
  private let rowOfSlot: RowIndex
  /// `rowBytes` per row: the IDF and the weights' scale (two `Float`s), then one `Int8` weight
  /// per class (weight = value × scale, the row's largest magnitude mapping to ±127).
  private let rows: [UInt64]
  private let rowBytes: Int

  /// Trains on `examples` (text, label index into `labels`).
  init(
    labels: [String], examples: [(text: String, label: Int)], training: Training = Training()
  ) {
    let extractor = FeatureExtractor()
    self.labels = labels
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
    rowBytes = Self.rowBytes(classCount: classCount)
    (rowOfSlot, rows) = Self.compact(
      idf: idf, weights: weights, documentFrequency: documentFrequency, classCount: classCount)
  }

  /// Per-class probabilities for a query's summed feature weights; `visit` gets each feature's
  /// TF-IDF value before normalization (what the cache's query vector is made of).
  func probabilities(
    of accumulator: SparseAccumulator, _ visit: (Int32, Float) -> Void = { _, _ in }
  ) -> [Float] {
    var result = [Float](repeating: 0, count: labels.count)
    var norm: Float = 0
    switch rowOfSlot {
    case .narrow(let rowOfSlot):
      accumulate(accumulator, rowOfSlot, into: &result, norm: &norm, visit)
    case .wide(let rowOfSlot):
      accumulate(accumulator, rowOfSlot, into: &result, norm: &norm, visit)
    }
    if norm > 0 {
      let scale = 1 / norm.squareRoot()
      for klass in result.indices { result[klass] *= scale }
    }
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
    let offset = rowOfSlot[Int(index)] * rowBytes
    let idf = rows.withUnsafeBytes { $0.load(fromByteOffset: offset, as: Float.self) }
    return Self.sublinearTF(count) * idf
  }

  /// Each slot's row: 16-bit entries when the rows allow it (half the cache footprint).
  private enum RowIndex: Sendable {
    case narrow([UInt16])
    case wide([Int32])

    subscript(slot: Int) -> Int {
      switch self {
      case .narrow(let rows): Int(rows[slot])
      case .wide(let rows): Int(rows[slot])
      }
    }
  }

  /// Adds the TF-IDF value times the class weights of every feature to `result` (unnormalized)
  /// and their squares to `norm`.
  @inline(__always)
  private func accumulate<Row: FixedWidthInteger>(
    _ accumulator: SparseAccumulator, _ rowOfSlot: [Row], into result: inout [Float],
    norm: inout Float, _ visit: (Int32, Float) -> Void
  ) {
    let classCount = result.count
    let rowBytes = self.rowBytes
    rowOfSlot.withUnsafeBufferPointer { rowOfSlot in
      rows.withUnsafeBytes { rows in
        result.withUnsafeMutableBufferPointer { result in
          accumulator.forEach { index, count in
            let row = Int(rowOfSlot[Int(index)]) * rowBytes
            let value = Self.sublinearTF(count) * rows.load(fromByteOffset: row, as: Float.self)
            visit(index, value)
            norm += value * value
            let scaled = value * rows.load(fromByteOffset: row + 4, as: Float.self)
            for klass in 0..<classCount {
              let weight = rows.load(fromByteOffset: row + 8 + klass, as: Int8.self)
              result[klass] += Float(weight) * scaled
            }
          }
        }
      }
    }
  }

  /// Bytes per row: IDF and scale, then the class weights, rounded up to whole 8-byte words
  /// (16 for up to 8 classes, so a row never straddles a cache line).
  private static func rowBytes(classCount: Int) -> Int {
    8 * (1 + (classCount + 7) / 8)
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

  /// The row index and rows of trained slots (row 0: every slot no example has).
  private static func compact(
    idf: [Float], weights: [Float], documentFrequency: [Int32], classCount: Int
  ) -> (rowOfSlot: RowIndex, rows: [UInt64]) {
    let words = rowBytes(classCount: classCount) / 8
    var rowOfSlot = [Int32](repeating: 0, count: dimensions)
    // Row 0: the IDF of a slot with no document, no weights (never updated in training).
    var rows = [UInt64](repeating: 0, count: words)
    rows[0] = UInt64((idf.max() ?? 1).bitPattern)
    var rowCount = 1
    for slot in 0..<dimensions where documentFrequency[slot] > 0 {
      rowOfSlot[slot] = Int32(rowCount)
      let slotWeights = weights[(slot * classCount)..<((slot + 1) * classCount)]
      let largest = slotWeights.reduce(Float(0)) { max($0, abs($1)) }
      let scale = largest / 127
      var row = [UInt64](repeating: 0, count: words)
      row.withUnsafeMutableBytes { bytes in
        bytes.storeBytes(of: idf[slot], toByteOffset: 0, as: Float.self)
        bytes.storeBytes(of: scale, toByteOffset: 4, as: Float.self)
        for (klass, weight) in slotWeights.enumerated() {
          let level = scale > 0 ? Int8((weight / scale).rounded()) : 0
          bytes.storeBytes(of: level, toByteOffset: 8 + klass, as: Int8.self)
        }
      }
      rows.append(contentsOf: row)
      rowCount += 1
    }
    if rowCount <= Int(UInt16.max) {
      return (.narrow(rowOfSlot.map { UInt16($0) }), rows)
    }
    return (.wide(rowOfSlot), rows)
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
