import ExtProc

/// The classify phase: the request's category, confidence and (with the cache on) query
/// vector, bracketed by the observer's classification calls. When the embedding model must
/// run, it runs on the inference pool, with the examples' vote and the cache vector after it,
/// and the phase answers later, on the stream's loop, with the finished classification.
enum ClassifyPhase {
  /// Classifies `request` and gives the classification to `proceed`, whose decision is the
  /// phase's: at once when the lexical tier (or the vector cache) settles it; `.later` while
  /// the model runs on `inference`'s pool. A full queue applies `classifier.on_overload`: the
  /// lexical answer, or `overloaded()`'s immediate answer. Without `inference` (tests, no
  /// loop) the model runs on the calling thread. A stream that `ended()` while the model ran
  /// is left alone: nothing is observed or routed after its end. `lexicalTier` is the guard
  /// phase's, when it ran it and only the model could settle it: the phase goes on from there
  /// (the vector cache, then the model) rather than classifying the request again.
  static func run(
    _ request: OpenAIRequest, lexicalTier: PendingModelClassification? = nil,
    router: SemanticRouter, inference: InferenceRunner?,
    observer: (any RequestObserver)?, overloaded: () -> ImmediateResponse,
    ended: @escaping () -> Bool = { false },
    proceed: @escaping (Classification) -> BodyDecision
  ) -> BodyDecision {
    observer?.classificationStarted()
    let step = lexicalTier?.lookingUpVectorCache() ?? router.startClassification(request)
    return settle(
      step, onOverload: router.configuration.classifier.onOverload,
      inference: inference, observer: observer, overloaded: overloaded, ended: ended,
      proceed: proceed)
  }

  /// Gives `step`'s classification to `proceed`: at once when it is decided, else after the
  /// model ran on `inference`'s pool (or on the calling thread without `inference`), as `run`
  /// describes; `onOverload` applies when the pool's queue is full.
  static func settle(
    _ step: ClassificationStep, onOverload: ClassifierSettings.OverloadPolicy,
    inference: InferenceRunner?, observer: (any RequestObserver)?,
    overloaded: () -> ImmediateResponse, ended: @escaping () -> Bool,
    proceed: @escaping (Classification) -> BodyDecision
  ) -> BodyDecision {
    let pending: PendingModelClassification
    switch step {
    case .decided(let classification):
      observer?.classificationFinished(classification)
      return proceed(classification)
    case .needsModel(let waiting):
      pending = waiting
    }
    guard let inference, let resume = inference.currentLoop() else {
      let classification = pending.classify()
      observer?.classificationFinished(classification)
      return proceed(classification)
    }
    let later = LaterBodyDecision()
    let continuation = LoopBound((observer: observer, ended: ended, proceed: proceed))
    let accepted = inference.pool.submit {
      // The model, the examples' vote and the cache vector's signature all run here: the
      // loop only applies the finished classification.
      let classification = pending.classify()
      resume {
        guard !continuation.value.ended() else { return }
        continuation.value.observer?.classificationFinished(classification)
        let decision = continuation.value.proceed(classification)
        if case .later(let next) = decision {
          next.whenResolved { later.resolve($0) }
        } else {
          later.resolve(decision)
        }
      }
    }
    if accepted { return .later(later) }
    let classification = pending.overloaded()
    observer?.classificationFinished(classification)
    switch onOverload {
    case .lexical: return proceed(classification)
    case .reject: return .immediate(overloaded())
    }
  }

  /// The lexical tier, for the guard phase to pick the routed model's policy by its category
  /// without waiting for the model (or asking the vector cache, whose answer a redaction would
  /// void). A decided classification is final and observed here; one that needs the model is
  /// observed by `run`, which goes on from it.
  static func runLexicalTier(
    _ request: OpenAIRequest, router: SemanticRouter, observer: (any RequestObserver)?
  ) -> (category: String, step: ClassificationStep) {
    let step = router.lexicalTier(request)
    switch step {
    case .decided(let classification):
      observer?.classificationStarted()
      observer?.classificationFinished(classification)
      return (classification.category, step)
    case .needsModel(let pending):
      return (pending.lexical.category, step)
    }
  }
}

/// A value made on a stream's loop thread that rides along on another thread, untouched,
/// until a task back on that loop uses it.
private final class LoopBound<Value>: @unchecked Sendable {
  // @unchecked Sendable: only read on the loop thread that created it.
  let value: Value
  init(_ value: Value) { self.value = value }
}
