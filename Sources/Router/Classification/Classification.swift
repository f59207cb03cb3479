/// The category of one query, how it was decided, and the query's vector for the cache.
public struct Classification: Sendable, Equatable {
  /// How the category was chosen (span attribute `classifier.type`).
  public enum Method: String, Sendable, Equatable {
    /// A keyword rule matched.
    case keyword
    /// The statistical (lexical) classifier was confident enough.
    case statistical
    /// The embedding model decided (`classifier.type: embedding`, lexical tier not sure).
    case embedding
    /// Nothing matched confidently: the fallback category applies.
    case fallback
  }

  /// The category to route by.
  public var category: String
  /// 1 for keyword matches; the classifier's probability otherwise (also when it was too low
  /// and the fallback applied).
  public var confidence: Double
  public var method: Method
  /// The statistical classifier's best guess, when it ran (even if the fallback applied).
  public var predictedCategory: String?
  /// The query's embedding for semantic-cache lookups.
  public var vector: QueryVector
  /// What the embedding model did for this query; nil with the lexical classifier.
  public var modelRun: ModelRun?

  public init(
    category: String, confidence: Double, method: Method, predictedCategory: String? = nil,
    vector: QueryVector, modelRun: ModelRun? = nil
  ) {
    self.category = category
    self.confidence = confidence
    self.method = method
    self.predictedCategory = predictedCategory
    self.vector = vector
    self.modelRun = modelRun
  }
}
