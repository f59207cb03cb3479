import Foundation
import Testing
import Yams

/// The built `semantic-router` binary: exit codes and what each tool command prints.
@Suite struct CommandLineBinaryTests {
  /// The repository root, found from this file's location (Tests/SemanticRouterCLITests/…).
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  static let shippedConfig = root.appendingPathComponent("deploy/router-config.yaml").path

  /// The binary beside this test bundle in the build products directory (`swift test` builds
  /// both), or `$SEMANTIC_ROUTER` when set.
  static let binary: URL = {
    if let path = ProcessInfo.processInfo.environment["SEMANTIC_ROUTER"], !path.isEmpty {
      return URL(fileURLWithPath: path)
    }
    return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
      .deletingLastPathComponent().appendingPathComponent("semantic-router")
  }()

  /// What one run of the binary did.
  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  private func run(_ arguments: [String]) throws -> Run {
    let process = Process()
    process.executableURL = Self.binary
    process.arguments = arguments
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    // stderr carries a few lines at most, so reading stdout to its end first cannot block.
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    let err = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(
      status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
      stderr: String(decoding: err, as: UTF8.self))
  }

  private func temporaryFile(_ text: String) throws -> URL {
    let file = FileManager.default.temporaryDirectory
      .appendingPathComponent("router-config-\(UUID().uuidString).yaml")
    try text.write(to: file, atomically: true, encoding: .utf8)
    return file
  }

  @Test func binaryIsBuilt() {
    #expect(FileManager.default.isExecutableFile(atPath: Self.binary.path))
  }

  @Test func validate_shippedConfig_printsOKAndExitsZero() throws {
    let result = try run(["validate", "--config", Self.shippedConfig])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.hasPrefix("\(Self.shippedConfig): OK ("))
    #expect(result.stdout.contains(" models, "))
    #expect(result.stdout.contains(" categories)\n"))
    #expect(result.stderr.isEmpty)
  }

  @Test func validate_brokenConfig_namesEveryProblemsKeyAndLine_andExitsTwo() throws {
    let file = try temporaryFile(
      """
      models:
        - name: math-model
          category: [math]
          endpoints: []
      default_model: nowhere-model
      categories:
        - name: math
          examples: ["solve the equation"]
      """)
    defer { try? FileManager.default.removeItem(at: file) }
    let result = try run(["validate", "--config", file.path])
    #expect(result.status == 2)
    #expect(result.stdout.isEmpty)
    let lines = result.stderr.split(separator: "\n").map(String.init)
    #expect(
      lines.contains {
        $0.hasPrefix("\(file.path): line 4") && $0.contains("models[0].endpoints")
      }, "\(result.stderr)")
    #expect(
      lines.contains {
        $0.hasPrefix("\(file.path): line 5") && $0.contains("default_model")
      }, "\(result.stderr)")
  }

  @Test func validate_missingFile_exitsTwo() throws {
    let result = try run(["validate", "--config", "/nonexistent/router-config.yaml"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("/nonexistent/router-config.yaml: cannot read the file"))
  }

  @Test(arguments: [["--no-such-flag"], ["validate"], ["serve", "--threads", "0"]])
  func usageErrors_exit64(arguments: [String]) throws {
    let result = try run(arguments)
    #expect(result.status == 64)
    #expect(result.stderr.contains("Error:"))
  }

  @Test func help_exitsZero() throws {
    let result = try run(["--help"])
    #expect(result.status == 0)
    for command in ["serve", "validate", "classify", "envoy-config", "trace-view"] {
      #expect(result.stdout.contains(command))
    }
  }

  @Test func classify_printsCategoryAndRoute_asTextOrJSON() throws {
    let text = try run(["classify", "--config", Self.shippedConfig, "solve the equation 2x = 4"])
    #expect(text.status == 0, "\(text.stderr)")
    let lines = text.stdout.split(separator: "\n")
    #expect(lines.count == 4)
    #expect(lines.first?.hasPrefix("category:   math (") == true)

    let json = try run(
      ["classify", "--config", Self.shippedConfig, "--json", "solve", "the equation 2x = 4"])
    #expect(json.status == 0, "\(json.stderr)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(object["category"] as? String == "math")
    let confidence = try #require(object["confidence"] as? Double)
    #expect((0...1).contains(confidence))
    #expect(object["model"] is String)
    #expect(object["endpoint"] is String)
  }

  /// The model folder `make unit` names (see EmbeddingTests' TestModel).
  static let model = ProcessInfo.processInfo.environment["SEMANTIC_ROUTER_TEST_MODEL"]

  @Test(.enabled(if: model != nil, "no model: set SEMANTIC_ROUTER_TEST_MODEL"))
  func embed_printsTheTokenIDsOrTheUnitVector_asJSON() throws {
    let ids = try run(["embed", "--model", Self.model!, "--ids", "Hello, world!"])
    #expect(ids.status == 0, "\(ids.stderr)")
    #expect(ids.stdout == "[101,7592,1010,2088,999,102]\n")
    let vector = try run(["embed", "--model", Self.model!, "How do I undo my last commit?"])
    #expect(vector.status == 0, "\(vector.stderr)")
    let numbers = try #require(
      try JSONSerialization.jsonObject(with: Data(vector.stdout.utf8)) as? [Double])
    #expect(numbers.count == 384)
    #expect(abs(numbers.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
  }

  @Test(.enabled(if: model != nil, "no model: set SEMANTIC_ROUTER_TEST_MODEL"))
  func embed_int8_printsAVectorCloseToF32s_butNotTheSame() throws {
    let question = "How do I undo my last commit?"
    let vectors = try ["f32", "int8"].map { precision in
      let result = try run(["embed", "--model", Self.model!, "--precision", precision, question])
      #expect(result.status == 0, "\(result.stderr)")
      return try #require(
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [Double])
    }
    #expect(vectors[0].count == 384 && vectors[1].count == 384)
    let cosine = zip(vectors[0], vectors[1]).reduce(0) { $0 + $1.0 * $1.1 }
    #expect(cosine > 0.99 && cosine < 0.999_999, "cosine \(cosine)")
    let unknown = try run(["embed", "--model", Self.model!, "--precision", "f16", question])
    #expect(unknown.status != 0)
    #expect(unknown.stderr.contains("f16"), "\(unknown.stderr)")
  }

  @Test func embed_aFolderWithoutAModel_namesTheFileAndExitsTwo() throws {
    let result = try run(["embed", "--model", "/nonexistent/model", "text"])
    #expect(result.status == 2)
    #expect(result.stderr.hasPrefix("/nonexistent/model/config.json: "), "\(result.stderr)")
  }

  @Test func envoyConfig_printsYAML_withAClusterPerEndpoint() throws {
    let result = try run(
      ["envoy-config", "--config", Self.shippedConfig, "--listen", "127.0.0.1:9000"])
    #expect(result.status == 0, "\(result.stderr)")
    let document = try #require(try Yams.load(yaml: result.stdout) as? [String: Any])
    let resources = try #require(document["static_resources"] as? [String: Any])
    let clusters = try #require(resources["clusters"] as? [[String: Any]])
    let names = clusters.compactMap { $0["name"] as? String }
    #expect(names.contains { $0.hasPrefix("vsr_") })
    let listeners = try #require(resources["listeners"] as? [[String: Any]])
    let address = try #require(
      (listeners.first?["address"] as? [String: Any])?["socket_address"] as? [String: Any])
    #expect(address["address"] as? String == "127.0.0.1")
    #expect(address["port_value"] as? Int == 9000)
  }
}
