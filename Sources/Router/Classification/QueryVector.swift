/// A fixed-size dense embedding of a query for the semantic cache: the query's TF-IDF features
/// folded into 256 signed dimensions (feature hashing), L2-normalized, so cosine similarity is
/// a dot product.
public struct QueryVector: Sendable, Equatable {
  /// Number of dimensions.
  public static let dimensions = 256

  /// The unit-length components (all zero for a text without features).
  public let components: [Float]

  init(components: [Float]) {
    self.components = components
  }

  /// Folds (feature index, weight) pairs into the dense vector and normalizes it.
  init(features: SparseAccumulator, weight: (Int32, Float) -> Float) {
    var components = [Float](repeating: 0, count: Self.dimensions)
    features.forEach { index, value in
      let mixed = UInt32(bitPattern: index) &* 0x85EB_CA6B
      let dimension = Int(mixed >> 24)
      let sign: Float = mixed & 0x8000 == 0 ? 1 : -1
      components[dimension] += sign * weight(index, value)
    }
    var norm: Float = 0
    for value in components { norm += value * value }
    if norm > 0 {
      let scale = 1 / norm.squareRoot()
      for index in components.indices { components[index] *= scale }
    }
    self.components = components
  }

  /// Cosine similarity with `other` (both are unit length or zero).
  public func cosine(_ other: QueryVector) -> Double {
    var sum: Float = 0
    components.withUnsafeBufferPointer { a in
      other.components.withUnsafeBufferPointer { b in
        guard a.count == b.count, let pa = a.baseAddress, let pb = b.baseAddress else { return }
        var index = 0
        var lanes = SIMD8<Float>()
        while index + 8 <= a.count {
          let left = UnsafeRawPointer(pa + index).loadUnaligned(as: SIMD8<Float>.self)
          let right = UnsafeRawPointer(pb + index).loadUnaligned(as: SIMD8<Float>.self)
          lanes += left * right
          index += 8
        }
        sum = lanes.sum()
        while index < a.count {
          sum += a[index] * b[index]
          index += 1
        }
      }
    }
    return Double(sum)
  }
}
