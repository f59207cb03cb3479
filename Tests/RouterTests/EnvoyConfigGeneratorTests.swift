import Foundation
import Router
import Testing

@Suite struct EnvoyConfigGeneratorTests {
  /// The Envoy binary: `$ENVOY` when set (`make unit` sets it, so a missing binary fails
  /// there), else the venv's from `make venv` when present, else none and the validate test
  /// is skipped.
  static let envoyPath: String? = {
    if let path = ProcessInfo.processInfo.environment["ENVOY"], !path.isEmpty { return path }
    let venv = Repository.path(".venv/bin/envoy")
    return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
  }()

  private func shippedConfiguration() throws -> RouterConfiguration {
    try RouterConfiguration.load(path: Repository.defaultConfigPath)
  }

  @Test func output_hasOneClusterPerEndpoint_namedAsTheRouterNamesThem() throws {
    let configuration = try shippedConfiguration()
    let yaml = EnvoyConfigGenerator(configuration: configuration).yaml()
    for endpoint in configuration.distinctEndpoints {
      #expect(yaml.contains("- name: \"\(endpoint.clusterName)\""))
      #expect(yaml.contains("address: \"\(endpoint.host)\", port_value: \(endpoint.port)"))
    }
    #expect(yaml.contains("cluster_header: \"x-selected-cluster\""))
    #expect(yaml.contains("- name: \"\(ClusterName.extProc)\""))
    #expect(yaml.contains("port_value: 50051"))
    #expect(yaml.contains("allow_mode_override: true"))
    #expect(yaml.contains("failure_mode_allow: false"))
    #expect(yaml.contains("request_body_mode: BUFFERED"))
    #expect(yaml.contains("http2_protocol_options: {}"))
  }

  /// The committed `envoy/` files are the reviewed expectation (`make envoy-configs` writes
  /// them with the CLI's defaults, which are the generator's).
  @Test(arguments: [("envoy.yaml", false), ("envoy-tracing.yaml", true)])
  func output_forTheShippedConfig_isTheCommittedEnvoyFile(file: String, withTracing: Bool) throws {
    var options = EnvoyConfigGenerator.Options()
    if withTracing {
      options.tracing = EnvoyConfigGenerator.Tracing(
        collectorHost: "127.0.0.1", collectorPort: 4317)
    }
    let yaml = EnvoyConfigGenerator(configuration: try shippedConfiguration(), options: options)
      .yaml()
    let committed = try String(contentsOfFile: Repository.path("envoy/\(file)"), encoding: .utf8)
    #expect(yaml == committed, "envoy/\(file) differs from the generator's output")
  }

  @Test func options_setPortsAddressesAndDNSClusters() throws {
    var configuration = try shippedConfiguration()
    configuration.models[0].endpoints[0] = try EndpointConfiguration(
      name: "dns-backend", address: "http://vllm-1:8000")
    var options = EnvoyConfigGenerator.Options()
    options.listenPort = 9000
    options.extProcHost = "router.local"
    options.extProcPort = 6000
    options.routerAdminHost = nil
    options.messageTimeout = .milliseconds(500)
    let yaml = EnvoyConfigGenerator(configuration: configuration, options: options).yaml()
    #expect(yaml.contains("port_value: 9000"))
    #expect(yaml.contains("address: \"router.local\", port_value: 6000"))
    #expect(yaml.contains("message_timeout: 0.5s"))
    #expect(!yaml.contains(EnvoyConfigGenerator.adminClusterName))
    #expect(yaml.contains("type: STRICT_DNS"))
  }

  @Test(
    .enabled(
      if: EnvoyConfigGeneratorTests.envoyPath != nil, "no Envoy: set ENVOY or run `make venv`"),
    arguments: [false, true])
  func output_passesEnvoyValidate(withTracing: Bool) throws {
    let envoyPath = try #require(Self.envoyPath)
    var options = EnvoyConfigGenerator.Options()
    if withTracing {
      options.tracing = EnvoyConfigGenerator.Tracing(
        collectorHost: "127.0.0.1", collectorPort: 4317)
    }
    var configuration = try shippedConfiguration()
    configuration.models[1].endpoints.append(
      try EndpointConfiguration(name: "tls-backend", address: "https://api.example.com"))
    let yaml = EnvoyConfigGenerator(configuration: configuration, options: options).yaml()
    let file = FileManager.default.temporaryDirectory
      .appendingPathComponent("envoy-\(UUID().uuidString).yaml")
    try yaml.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: envoyPath)
    process.arguments = ["--mode", "validate", "-c", file.path, "--log-level", "error"]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "envoy rejected the config:\n\(text)\n\(yaml)")
  }
}
