/// The cascade's second tier as `PendingModelClassification` uses it: a sentence-embedding
/// model that embeds a query and votes among the examples' vectors (`EmbeddingClassifier`).
/// A protocol so the answer-later path can be driven by a stand-in that needs no model files.
protocol CascadeModel: Sendable {
  /// The model's name, for spans and metrics.
  var modelName: String { get }
  /// Names the model's vector space for the semantic cache (`QueryVector.model`).
  var modelIdentity: String { get }
  /// The stored vector of `text` (and the examples' vote on it, once taken), if it was
  /// embedded recently.
  func cached(for text: String) -> CachedEmbedding?
  /// Keeps `vote`, the examples' vote on `text`'s vector, beside the vector in the cache.
  func rememberVote(_ vote: ExampleVote, for text: String)
  /// Runs the model on `text` (milliseconds: never on an event loop).
  func embed(_ text: String) -> [Float]
  /// The category of a query vector and its share of the nearest examples' vote; nil without
  /// examples.
  func nearest(_ vector: [Float]) -> ExampleVote?
}

extension EmbeddingClassifier: CascadeModel {}
