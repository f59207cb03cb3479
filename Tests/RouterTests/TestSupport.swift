import Foundation
import Router

/// Paths into the repository, found from this file's location (Tests/RouterTests/…).
enum Repository {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  static func path(_ relative: String) -> String {
    root.appendingPathComponent(relative).path
  }

  /// The shipped `deploy/router-config.yaml`.
  static var defaultConfigPath: String { path("deploy/router-config.yaml") }
}

extension Array where Element == UInt8 {
  /// UTF-8 bytes of a string literal.
  init(_ text: String) { self = Array(text.utf8) }
}

extension String {
  init(bytes: [UInt8]) { self = String(decoding: bytes, as: UTF8.self) }
}

/// The problems `RouterConfiguration.parse` reports for `yaml`; none when it parses.
func configurationIssues(_ yaml: String) -> [ConfigurationIssue] {
  do {
    _ = try RouterConfiguration.parse(yaml: yaml)
    return []
  } catch {
    return error.issues
  }
}

/// Configurations shared by the processor, telemetry and settings suites.
enum RouterFixtures {
  /// The smallest valid configuration: one model `m` serving `general`, in five lines; a
  /// section appended to it starts on line 6.
  static let oneModelYAML = """
    models:
      - name: m
        category: general
        endpoints: [{ name: e, address: "http://h:1" }]
    default_model: m

    """

  /// The math and general categories with a few training examples each, as top-level YAML.
  static let categoriesYAML = """
    categories:
      - name: math
        examples: ["solve the equation", "derivative of x squared", "integral of sin x",
                   "probability of two dice", "factor the polynomial", "square root of 81"]
      - name: general
        examples: ["tell me a joke", "write a poem about the sea", "plan a trip to Rome",
                   "recipe for pancakes", "recommend a movie", "good name for a dog"]
    """

  /// A math model and a chat model, one endpoint each, with a few training examples, a
  /// 2,000-byte body limit and the semantic cache on.
  static let twoModels = try! RouterConfiguration.parse(
    yaml: """
      models:
        - name: math-model
          category: [math]
          endpoints: [{ name: m1, address: "http://127.0.0.1:8101" }]
        - name: chat-model
          category: [general]
          endpoints: [{ name: c1, address: "http://127.0.0.1:8103" }]
      default_model: chat-model
      \(categoriesYAML)
      max_body_bytes: 2000
      semantic_cache: { enabled: true, similarity_threshold: 0.95 }
      """)
}

extension RouterFixtures {
  /// `twoModels` with the math model's backend serving chat completions and the Responses
  /// API, and the chat model's backend chat completions only: Messages requests are always
  /// translated, Responses requests when they go to the chat model.
  static let mixedAPIs = try! RouterConfiguration.parse(
    yaml: """
      models:
        - name: math-model
          category: [math]
          apis: [chat_completions, responses]
          endpoints: [{ name: m1, address: "http://127.0.0.1:8101" }]
        - name: chat-model
          category: [general]
          endpoints:
            - { name: c1, address: "http://127.0.0.1:8103", apis: [chat_completions] }
      default_model: chat-model
      \(categoriesYAML)
      max_body_bytes: 2000
      semantic_cache: { enabled: true, similarity_threshold: 0.95 }
      """)
}
