/// A query's dense vector for the semantic cache, of any dimension, L2-normalized so cosine
/// similarity is a dot product. Two kinds: the lexical classifier's (its TF-IDF features folded
/// into 256 signed dimensions by feature hashing) and a sentence-embedding model's (as many
/// dimensions as the model's `hidden_size`). Vectors of different kinds, dimensions or models
/// live in different spaces: their cosine is meaningless, so the caches never compare them
/// (`space`).
public struct QueryVector: Sendable, Equatable {
  /// Where a vector comes from.
  public enum Kind: UInt8, Sendable, Hashable {
    /// Hashed TF-IDF features of the lexical classifier.
    case lexical = 1
    /// A sentence-embedding model's output.
    case embedding = 2
  }

  /// The kind, dimension and model of a vector: only vectors of the same space are compared.
  public struct Space: Sendable, Hashable, CustomStringConvertible {
    public var kind: Kind
    public var dimensions: Int
    /// The embedding model's digest (`QueryVector.model`), 0 for none.
    public var model: UInt64

    public init(kind: Kind, dimensions: Int, model: UInt64 = 0) {
      self.kind = kind
      self.dimensions = dimensions
      self.model = model
    }

    public var description: String {
      let name = "\(kind == .lexical ? "lexical" : "embedding")-\(dimensions)"
      return model == 0 ? name : name + "-" + String(model, radix: 16)
    }
  }

  /// Number of dimensions of a lexical vector (the feature-hashing width).
  public static let dimensions = 256

  /// Where the vector comes from.
  public let kind: Kind
  /// Which embedding model made it: an FNV-1a digest of the name given, stable across
  /// processes (0 for lexical vectors and unnamed models). Two models of one dimension (after a
  /// reload, or replicas sharing Redis during a rollout) are different spaces.
  public let model: UInt64
  /// The unit-length components (all zero for a text without features).
  public let components: [Float]

  /// 64 bits, one per fixed pseudo-random ±1 hyperplane: set when the vector lies on its
  /// positive side. Two vectors at angle θ differ in each bit with probability about θ/π
  /// (SimHash), which lets the caches skip clearly dissimilar entries without computing their
  /// cosine. Computed once here, so a lookup and the store after it do not both pay for it.
  public let signature: UInt64

  /// No vector (the classifier was asked not to build one); similar to nothing.
  public static let empty = QueryVector(components: [])

  /// A lexical vector of unit-length (or all-zero) components.
  public init(components: [Float]) {
    self.init(kind: .lexical, model: 0, unitComponents: components)
  }

  /// A sentence embedding (a model's pooled output, any dimension) of the model named `model`
  /// (e.g. its folder's name, or a digest of its weights), scaled to unit length here so a
  /// model that does not normalize still compares by cosine.
  public init(embedding: [Float], model: String = "") {
    let digest = model.isEmpty ? 0 : FeatureExtractor.fnv1a(Array(model.utf8))
    self.init(kind: .embedding, model: digest, unitComponents: Self.normalized(embedding))
  }

  private init(kind: Kind, model: UInt64, unitComponents components: [Float]) {
    self.kind = kind
    self.model = model
    self.components = components
    self.signature = components.isEmpty ? 0 : HyperplaneHash.signature(of: components)
  }

  /// The vector's kind, dimension and model.
  public var space: Space { Space(kind: kind, dimensions: components.count, model: model) }

  /// Whether the vector has a direction (an empty or all-zero vector matches nothing).
  public var isUsable: Bool { components.contains { $0 != 0 } }

  /// Folds (feature index, weight) pairs into the dense vector and normalizes it.
  init(features: SparseAccumulator, weight: (Int32, Float) -> Float) {
    var components = [Float](repeating: 0, count: Self.dimensions)
    features.forEach { index, value in
      Self.fold(index, weight(index, value), into: &components)
    }
    self.init(normalizing: components)
  }

  /// The lexical vector of `components` (summed with `fold`) scaled to unit length.
  init(normalizing components: [Float]) {
    self.init(kind: .lexical, model: 0, unitComponents: Self.normalized(components))
  }

  /// `components` scaled to unit length (all-zero ones unchanged).
  private static func normalized(_ components: [Float]) -> [Float] {
    var components = components
    var norm: Float = 0
    for value in components { norm += value * value }
    if norm > 0 {
      let scale = 1 / norm.squareRoot()
      for index in components.indices { components[index] *= scale }
    }
    return components
  }

  /// Adds feature `index`'s `weight` to its hashed, signed dimension of `components`.
  @inline(__always)
  static func fold(_ index: Int32, _ weight: Float, into components: inout [Float]) {
    let mixed = UInt32(bitPattern: index) &* 0x85EB_CA6B
    let dimension = Int(mixed >> 24)
    let sign: Float = mixed & 0x8000 == 0 ? 1 : -1
    components[dimension] += sign * weight
  }

  /// Cosine similarity with `other` (both are unit length or zero); 0 against an empty vector
  /// or one of another space.
  public func cosine(_ other: QueryVector) -> Double {
    guard other.kind == kind, other.model == model else { return 0 }
    return other.components.withUnsafeBufferPointer { cosine($0) }
  }

  /// Cosine similarity with unit-length components of the same space stored elsewhere (the
  /// caches' storage); 0 when the dimensions differ.
  public func cosine(_ other: UnsafeBufferPointer<Float>) -> Double {
    components.withUnsafeBufferPointer { Double(Self.dot($0, other)) }
  }

  static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>)
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

extension UnsafeBufferPointer<Float> {
  @inline(__always)
  func loadSIMD8(at index: Int) -> SIMD8<Float> {
    UnsafeRawPointer(baseAddress.unsafelyUnwrapped + index).loadUnaligned(as: SIMD8<Float>.self)
  }
}
