import Foundation
import Router
import Testing

@Suite struct EnvoyConfigGeneratorTests {
  static let envoyPath = Repository.path(".venv/bin/envoy")

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
    #expect(yaml == EnvoyConfigGenerator(configuration: configuration).yaml())
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

  @Test(arguments: [false, true])
  func output_passesEnvoyValidate(withTracing: Bool) throws {
    guard FileManager.default.isExecutableFile(atPath: Self.envoyPath) else {
      print("skipping envoy --mode validate: no Envoy at \(Self.envoyPath) (run `make venv`)")
      return
    }
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
    process.executableURL = URL(fileURLWithPath: Self.envoyPath)
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
