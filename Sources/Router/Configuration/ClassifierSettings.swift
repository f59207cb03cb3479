/// `classifier:` settings: the lexical classifier's tuning, and the embedding model that
/// decides the queries the lexical tier is not sure of (`type: embedding`).
public struct ClassifierSettings: Sendable, Equatable {
  /// Longest query read whole by default: about a hundred words, far more than a question
  /// needs, and a bound on the classifier's cost per request.
  public static let defaultMaxQueryBytes = 512
  /// Swept on deploy/classifier/validation.tsv (README, "Routing with embeddings"): the lowest
  /// value at which the cascade was as accurate as at any higher one (99.8%, the model alone
  /// 99.5%), with 19.8% of the queries reaching the model.
  public static let defaultCascadeConfidence = 0.8
  public static let defaultQueueCapacity = 256
  public static let defaultVectorCacheEntries = 4096

  /// Which classifier decides.
  public enum Kind: String, Sendable, Equatable, CaseIterable {
    /// Keyword rules, then the logistic regression over words and word pairs.
    case lexical
    /// Keyword rules, then the lexical tier when it is confident enough
    /// (`cascade_confidence`), else the sentence-embedding model.
    case embedding
  }

  /// What a query gets when the model cannot run for it: the inference queue is full, or the
  /// model did not load at start-up.
  public enum OverloadPolicy: String, Sendable, Equatable, CaseIterable {
    /// The lexical classifier's answer.
    case lexical
    /// A 503 with an OpenAI-style JSON error (`classifier_overloaded`); a model that does not
    /// load stops the router at start-up.
    case reject
  }

  /// How the model's dense layers run (`precision`): int8 is about twice as fast and within
  /// cosine 0.995 of f32 (README, "Sentence embeddings").
  public enum Precision: String, Sendable, Equatable, CaseIterable {
    case f32
    case int8
  }

  /// Below this confidence the fallback category applies.
  public var confidenceThreshold: Double
  /// Of a longer query (or system prompt) the classifier reads the first and last
  /// `maxQueryBytes / 2` bytes; 0 reads everything.
  public var maxQueryBytes: Int
  public var kind: Kind
  /// The sentence-transformers model folder (Hugging Face layout), absolute; required with
  /// `type: embedding`.
  public var modelPath: String?
  public var precision: Precision
  /// The lexical tier answers when its confidence is at least this; the model decides the
  /// rest. 1 sends every query without a keyword match to the model.
  public var cascadeConfidence: Double
  public var onOverload: OverloadPolicy
  /// Threads running the model; 0 means one per core.
  public var inferenceThreads: Int
  /// Queries waiting for an inference thread at most; beyond it `onOverload` applies.
  public var queueCapacity: Int
  /// Query texts whose vectors are kept (least recently used dropped first); 0 keeps none.
  public var vectorCacheEntries: Int
  /// Where the examples' vectors are kept between restarts (absolute); nil keeps none.
  public var examplesCachePath: String?

  public init(
    confidenceThreshold: Double = 0.35,
    maxQueryBytes: Int = ClassifierSettings.defaultMaxQueryBytes, kind: Kind = .lexical,
    modelPath: String? = nil, precision: Precision = .f32,
    cascadeConfidence: Double = ClassifierSettings.defaultCascadeConfidence,
    onOverload: OverloadPolicy = .lexical, inferenceThreads: Int = 0,
    queueCapacity: Int = ClassifierSettings.defaultQueueCapacity,
    vectorCacheEntries: Int = ClassifierSettings.defaultVectorCacheEntries,
    examplesCachePath: String? = nil
  ) {
    self.confidenceThreshold = confidenceThreshold
    self.maxQueryBytes = maxQueryBytes
    self.kind = kind
    self.modelPath = modelPath
    self.precision = precision
    self.cascadeConfidence = cascadeConfidence
    self.onOverload = onOverload
    self.inferenceThreads = inferenceThreads
    self.queueCapacity = queueCapacity
    self.vectorCacheEntries = vectorCacheEntries
    self.examplesCachePath = examplesCachePath
  }
}
