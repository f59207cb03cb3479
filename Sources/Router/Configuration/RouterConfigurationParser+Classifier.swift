import Yams

/// `classifier:`, reported like every other section (key path and line).
extension RouterConfigurationParser {
  static let classifierKeys = [
    "confidence_threshold", "max_query_bytes", "type", "model_path", "cascade_confidence",
    "on_overload", "inference_threads", "queue_capacity", "vector_cache_entries",
    "examples_cache", "precision",
  ]

  /// File name of the examples' vectors next to the config when `examples_cache` is not set.
  static let defaultExamplesCacheName = ".classifier-examples.cache"

  func parseClassifier(_ node: Node, into settings: inout ClassifierSettings) {
    guard let fields = reader.mapping(node, at: "classifier", keys: Self.classifierKeys) else {
      return
    }
    if let value = fields["confidence_threshold"].flatMap({
      reader.double($0, at: "classifier.confidence_threshold", in: 0...1)
    }) {
      settings.confidenceThreshold = value
    }
    if let value = fields["max_query_bytes"].flatMap({
      reader.int($0, at: "classifier.max_query_bytes", in: 0...(1 << 24))
    }) {
      settings.maxQueryBytes = value
    }
    if let value = fields["type"].flatMap({
      action($0, at: "classifier.type", as: ClassifierSettings.Kind.self)
    }) {
      settings.kind = value
    }
    if let value = fields["model_path"].flatMap({
      reader.nonEmptyString($0, at: "classifier.model_path")
    }) {
      settings.modelPath = absolute(value)
    }
    if settings.kind == .embedding, fields["model_path"] == nil {
      reader.fail(
        "classifier.model_path", node,
        "required with type: embedding (a sentence-transformers model folder)")
    }
    if let value = fields["precision"].flatMap({
      action($0, at: "classifier.precision", as: ClassifierSettings.Precision.self)
    }) {
      settings.precision = value
    }
    if let value = fields["cascade_confidence"].flatMap({
      reader.double($0, at: "classifier.cascade_confidence", in: 0...1)
    }) {
      settings.cascadeConfidence = value
    }
    if let value = fields["on_overload"].flatMap({
      action($0, at: "classifier.on_overload", as: ClassifierSettings.OverloadPolicy.self)
    }) {
      settings.onOverload = value
    }
    if let value = fields["inference_threads"].flatMap({
      reader.int($0, at: "classifier.inference_threads", in: 0...256)
    }) {
      settings.inferenceThreads = value
    }
    if let value = fields["queue_capacity"].flatMap({
      reader.int($0, at: "classifier.queue_capacity", in: 1...(1 << 20))
    }) {
      settings.queueCapacity = value
    }
    if let value = fields["vector_cache_entries"].flatMap({
      reader.int($0, at: "classifier.vector_cache_entries", in: 0...(1 << 24))
    }) {
      settings.vectorCacheEntries = value
    }
    if let value = fields["examples_cache"].flatMap({
      reader.nonEmptyString($0, at: "classifier.examples_cache")
    }) {
      settings.examplesCachePath = absolute(value)
    }
  }

  /// The examples' vectors next to the config file, unless `examples_cache` says otherwise.
  var defaultExamplesCachePath: String { absolute(Self.defaultExamplesCacheName) }

  /// `path` anchored at the config file's directory unless it is absolute.
  private func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : "\(baseDirectory)/\(path)"
  }
}
