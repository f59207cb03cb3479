import Tracing

/// The classification span's attributes (README, "Tracing"): `category.name`,
/// `classifier.type` (`keyword`, `statistical`, `embedding` or `fallback`: what decided) and
/// `classification.confidence`; with the embedding classifier also `classifier.model`,
/// `semantic_router.classifier.model_run` (`inferred`, `vector_cache_hit`, `skipped`,
/// `overloaded`, `model_missing`) and `semantic_router.classifier.inference_ms`.
enum ClassificationSpanAttributes {
  static func record(_ result: Classification, on span: Span) {
    span.setAttribute("category.name", result.category)
    span.setAttribute("classifier.type", result.method.rawValue)
    span.setAttribute("classification.confidence", result.confidence)
    guard let run = result.modelRun else { return }
    if !run.model.isEmpty { span.setAttribute("classifier.model", run.model) }
    span.setAttribute("semantic_router.classifier.model_run", run.outcome.rawValue)
    if let milliseconds = run.inferenceMilliseconds {
      span.setAttribute("semantic_router.classifier.inference_ms", milliseconds)
    }
  }
}
