/// The classify phase: the request's category, confidence and (with the cache on) query
/// vector, bracketed by the observer's classification calls.
enum ClassifyPhase {
  /// Classifies a parsed request with the router's classifier.
  static func run(
    _ request: OpenAIRequest, router: SemanticRouter, observer: (any RequestObserver)?
  ) -> Classification {
    observer?.classificationStarted()
    let classification = router.classify(request)
    observer?.classificationFinished(classification)
    return classification
  }
}
