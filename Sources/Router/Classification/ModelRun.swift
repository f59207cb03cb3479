/// What the embedding model did for one query (span attributes `classifier.model`,
/// `semantic_router.classifier.model_run` and `semantic_router.classifier.inference_ms`).
public struct ModelRun: Sendable, Equatable {
  public enum Outcome: String, Sendable, Equatable {
    /// The model ran for this query.
    case inferred
    /// An identical query's vector was still in the vector cache.
    case vectorCacheHit = "vector_cache_hit"
    /// The lexical tier was confident and no vector was needed (semantic cache off).
    case skipped
    /// The inference queue was full: `classifier.on_overload` applied.
    case overloaded
    /// The model did not load at start-up: the lexical classifier answered.
    case modelMissing = "model_missing"
  }

  /// The model's name (its folder's); empty when it did not load.
  public var model: String
  public var outcome: Outcome
  /// Time the model ran on its thread (not the queue wait), when it ran.
  public var inferenceMilliseconds: Double?

  public init(model: String, outcome: Outcome, inferenceMilliseconds: Double? = nil) {
    self.model = model
    self.outcome = outcome
    self.inferenceMilliseconds = inferenceMilliseconds
  }
}
