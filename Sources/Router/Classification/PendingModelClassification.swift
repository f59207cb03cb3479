/// A query the embedding model must see before its classification is known: the lexical
/// tier's answer so far, and the text to embed. `classify` runs the model and then the
/// examples' vote (milliseconds and a scan of every example vector: on an inference thread,
/// never an event loop); `finish` turns a vector into the classification.
public struct PendingModelClassification: Sendable {
  /// The keyword rules' and lexical classifier's answer.
  public let lexical: Classification
  /// The part of the query the classifiers read.
  public let text: String
  /// The lexical tier was sure of the category; the model runs only for the cache's vector.
  let lexicalDecides: Bool
  let wantsVector: Bool
  let model: any CascadeModel
  let fallbackCategory: String
  let confidenceThreshold: Double

  /// The model's name.
  public var modelName: String { model.modelName }

  /// Runs the model on `text` and classifies by its vector (`finish`), timing the model
  /// alone (`ModelRun.inferenceMilliseconds`).
  public func classify() -> Classification {
    let start = ContinuousClock.now
    let vector = model.embed(text)
    let elapsed = ContinuousClock.now - start
    let milliseconds =
      Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
    return finish(vector: vector, milliseconds: milliseconds)
  }

  /// The classification from the query's `vector`: the lexical tier's category when it was
  /// sure, else the nearest examples' vote (`cachedVote`, when the vector cache kept it, else
  /// taken now and kept; the fallback category below `confidence_threshold`); the vector
  /// becomes the cache's when the cache is on.
  public func finish(
    vector: [Float], cachedVote: ExampleVote? = nil, outcome: ModelRun.Outcome = .inferred,
    milliseconds: Double? = nil
  ) -> Classification {
    var result = lexical
    if !lexicalDecides, let (category, confidence) = cachedVote ?? vote(on: vector) {
      result =
        confidence >= confidenceThreshold
        ? Classification(
          category: category, confidence: confidence, method: .embedding,
          predictedCategory: category, vector: .empty)
        : Classification(
          category: fallbackCategory, confidence: confidence, method: .fallback,
          predictedCategory: category, vector: .empty)
    }
    result.vector = wantsVector ? QueryVector(embedding: vector, model: model.modelIdentity) : .empty
    result.modelRun = ModelRun(
      model: model.modelName, outcome: outcome, inferenceMilliseconds: milliseconds)
    return result
  }

  /// The examples' vote on `vector` (a scan of every example vector), kept beside the vector
  /// in the vector cache for the next identical query.
  private func vote(on vector: [Float]) -> ExampleVote? {
    guard let vote = model.nearest(vector) else { return nil }
    model.rememberVote(vote, for: text)
    return vote
  }

  /// The classification from the vector cache when `text` was embedded recently (no model
  /// run, and no vote when one was kept), else this query still needs the model.
  public func lookingUpVectorCache() -> ClassificationStep {
    guard let cached = model.cached(for: text) else { return .needsModel(self) }
    return .decided(
      finish(vector: cached.vector, cachedVote: cached.vote, outcome: .vectorCacheHit))
  }

  /// The same query with the model reading `text` instead (the guards' redacted text).
  func reading(_ text: String) -> PendingModelClassification {
    PendingModelClassification(
      lexical: lexical, text: text, lexicalDecides: lexicalDecides, wantsVector: wantsVector,
      model: model, fallbackCategory: fallbackCategory, confidenceThreshold: confidenceThreshold)
  }

  /// The lexical answer, when the model cannot run in time (`on_overload: lexical`); it has
  /// no cache vector, so the semantic cache finds nothing similar to it.
  public func overloaded() -> Classification {
    var result = lexical
    result.modelRun = ModelRun(model: model.modelName, outcome: .overloaded)
    return result
  }
}

/// Where classifying a request stands after the lexical tier.
public enum ClassificationStep: Sendable {
  case decided(Classification)
  /// The model must run first.
  case needsModel(PendingModelClassification)
}
