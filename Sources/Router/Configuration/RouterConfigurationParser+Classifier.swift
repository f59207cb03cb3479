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
    // The numbers, as tables (like `server:`'s): each key, its range and its field.
    let fractions: [(key: String, field: WritableKeyPath<ClassifierSettings, Double>)] = [
      ("confidence_threshold", \.confidenceThreshold), ("cascade_confidence", \.cascadeConfidence),
    ]
    for (key, field) in fractions {
      if let node = fields[key],
        let value = reader.double(node, at: "classifier.\(key)", in: 0...1)
      {
        settings[keyPath: field] = value
      }
    }
    let counts: [(String, ClosedRange<Int>, WritableKeyPath<ClassifierSettings, Int>)] = [
      ("max_query_bytes", 0...(1 << 24), \.maxQueryBytes),
      ("inference_threads", 0...256, \.inferenceThreads),
      ("queue_capacity", 1...(1 << 20), \.queueCapacity),
      ("vector_cache_entries", 0...(1 << 24), \.vectorCacheEntries),
    ]
    for (key, range, field) in counts {
      if let node = fields[key], let value = reader.int(node, at: "classifier.\(key)", in: range) {
        settings[keyPath: field] = value
      }
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
    if let value = fields["on_overload"].flatMap({
      action($0, at: "classifier.on_overload", as: ClassifierSettings.OverloadPolicy.self)
    }) {
      settings.onOverload = value
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
