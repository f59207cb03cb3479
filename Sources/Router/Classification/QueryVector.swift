/// A fixed-size dense embedding of a query for the semantic cache: the query's TF-IDF features
/// folded into 256 signed dimensions (feature hashing), L2-normalized, so cosine similarity is
/// a dot product.
public struct QueryVector: Sendable, Equatable {
  /// Number of dimensions.
  public static let dimensions = 256

  /// The unit-length components (all zero for a text without features).
  public let components: [Float]

  /// 64 bits, one per fixed pseudo-random ±1 hyperplane: set when the vector lies on its
  /// positive side. Two vectors at angle θ differ in each bit with probability about θ/π
  /// (SimHash), which lets the cache skip clearly dissimilar entries without computing their
  /// cosine. Computed once here, so a lookup and the store after it do not both pay for it.
  public let signature: UInt64

  /// No vector (the classifier was asked not to build one); similar to nothing.
  public static let empty = QueryVector(components: [])

  public init(components: [Float]) {
    self.components = components
    self.signature = components.count == Self.dimensions ? Self.signature(of: components) : 0
  }

  /// Folds (feature index, weight) pairs into the dense vector and normalizes it.
  init(features: SparseAccumulator, weight: (Int32, Float) -> Float) {
    var components = [Float](repeating: 0, count: Self.dimensions)
    features.forEach { index, value in
      Self.fold(index, weight(index, value), into: &components)
    }
    self.init(normalizing: components)
  }

  /// The vector of `components` (summed with `fold`) scaled to unit length.
  init(normalizing components: [Float]) {
    var components = components
    var norm: Float = 0
    for value in components { norm += value * value }
    if norm > 0 {
      let scale = 1 / norm.squareRoot()
      for index in components.indices { components[index] *= scale }
    }
    self.init(components: components)
  }

  /// Adds feature `index`'s `weight` to its hashed, signed dimension of `components`.
  @inline(__always)
  static func fold(_ index: Int32, _ weight: Float, into components: inout [Float]) {
    let mixed = UInt32(bitPattern: index) &* 0x85EB_CA6B
    let dimension = Int(mixed >> 24)
    let sign: Float = mixed & 0x8000 == 0 ? 1 : -1
    components[dimension] += sign * weight
  }

  /// Cosine similarity with `other` (both are unit length or zero); 0 against an empty vector.
  public func cosine(_ other: QueryVector) -> Double {
    other.components.withUnsafeBufferPointer { cosine($0) }
  }

  /// Cosine similarity with unit-length components stored elsewhere (the caches' storage).
  public func cosine(_ other: UnsafeBufferPointer<Float>) -> Double {
    components.withUnsafeBufferPointer { Double(Self.dot($0, other)) }
  }

  /// The hyperplanes are rows of H·D: D flips the sign of each dimension at random, H is the
  /// 256-point Walsh–Hadamard matrix. Each row is a random ±1 vector, the 64 rows used are
  /// orthogonal, and a fast Walsh–Hadamard transform projects onto all of them in 8 passes of
  /// additions instead of 64 dot products.
  private static func signature(of components: [Float]) -> UInt64 {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: dimensions) { buffer in
      let projected = buffer.baseAddress!
      components.withUnsafeBufferPointer { components in
        signs.withUnsafeBufferPointer { signs in
          for index in stride(from: 0, to: dimensions, by: 8) {
            let flipped = components.loadSIMD8(at: index) * signs.loadSIMD8(at: index)
            projected.storeSIMD8(at: index, flipped)
          }
        }
      }
      // Butterflies within each run of eight, then across runs eight lanes at a time.
      var half = 1
      while half < 8 {
        for start in stride(from: 0, to: dimensions, by: 2 * half) {
          for index in start..<(start + half) {
            let a = projected[index]
            let b = projected[index + half]
            projected[index] = a + b
            projected[index + half] = a - b
          }
        }
        half *= 2
      }
      while half < dimensions {
        for start in stride(from: 0, to: dimensions, by: 2 * half) {
          for index in stride(from: start, to: start + half, by: 8) {
            let a = projected.loadSIMD8(at: index)
            let b = projected.loadSIMD8(at: index + half)
            projected.storeSIMD8(at: index, a + b)
            projected.storeSIMD8(at: index + half, a - b)
          }
        }
        half *= 2
      }
      var bits: UInt64 = 0
      for bit in 0..<64 where projected[bit * (dimensions / 64)] > 0 {
        bits |= 1 << UInt64(bit)
      }
      return bits
    }
  }

  /// D's diagonal (±1), from a fixed seed, identical in every process.
  private static let signs: [Float] = {
    var random = SplitMix64(seed: 0x51_6E_48_61_73_68)
    return (0..<dimensions).map { _ in random.next() & 1 == 1 ? -1 : 1 }
  }()

  private static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>)
    -> Float
  {
    guard a.count == b.count, a.baseAddress != nil, b.baseAddress != nil else { return 0 }
    var index = 0
    var lanes = SIMD8<Float>()
    while index + 8 <= a.count {
      lanes += a.loadSIMD8(at: index) * b.loadSIMD8(at: index)
      index += 8
    }
    var sum = lanes.sum()
    while index < a.count {
      sum += a[index] * b[index]
      index += 1
    }
    return sum
  }
}

extension UnsafeMutablePointer<Float> {
  @inline(__always)
  fileprivate func loadSIMD8(at index: Int) -> SIMD8<Float> {
    UnsafeRawPointer(self + index).loadUnaligned(as: SIMD8<Float>.self)
  }

  @inline(__always)
  fileprivate func storeSIMD8(at index: Int, _ value: SIMD8<Float>) {
    UnsafeMutableRawPointer(self + index).storeBytes(of: value, as: SIMD8<Float>.self)
  }
}

extension UnsafeBufferPointer<Float> {
  @inline(__always)
  fileprivate func loadSIMD8(at index: Int) -> SIMD8<Float> {
    UnsafeRawPointer(baseAddress.unsafelyUnwrapped + index).loadUnaligned(as: SIMD8<Float>.self)
  }
}
