import Foundation
import Router
import Testing

@Suite struct RouterConfigurationTests {
  /// The user documentation's snippets, combined, exactly as written there.
  static let userDocSeed = """
    models:
      - name: "llama-3.1-8b"
        category: "general"
        endpoints:
          - name: "backend-1"
            address: "http://vllm-1:8000"
            weight: 1
    default_model: "llama-3.1-8b"
    observability:
      tracing:
        enabled: true
        exporter: { type: "otlp", endpoint: "jaeger:4317", insecure: true }
        sampling: { type: "always_on", rate: 1.0 }
    """

  @Test func userDocSeed_parses_withDefaultsForEverythingElse() throws {
    let configuration = try RouterConfiguration.parse(yaml: Self.userDocSeed)
    #expect(configuration.models.count == 1)
    let endpoint = try #require(configuration.models.first?.endpoints.first)
    #expect(endpoint.host == "vllm-1")
    #expect(endpoint.port == 8000)
    #expect(endpoint.weight == 1)
    #expect(endpoint.clusterName == "vsr_backend-1")
    #expect(configuration.defaultModel == "llama-3.1-8b")
    #expect(configuration.classifier.maxQueryBytes == ClassifierSettings.defaultMaxQueryBytes)
    #expect(configuration.fallbackCategory == "general")
    #expect(configuration.categories.map(\.name) == ["general"])
    #expect(configuration.autoModelNames == ["auto"])
    #expect(configuration.routingHeaders == RoutingHeaderNames())
    #expect(configuration.unknownModel == .reject)
    #expect(configuration.maxBodyBytes == 1 << 20)
    #expect(configuration.tracing.enabled)
    #expect(configuration.tracing.exporter.type == .otlp)
    #expect(configuration.tracing.exporter.endpoint == "jaeger:4317")
    #expect(configuration.tracing.exporter.insecure == true)
    #expect(configuration.tracing.sampling == .init(type: .alwaysOn, rate: 1.0))
    #expect(configuration.server == ServerSettings(maxHeaderListBytes: 61_440, maxHeaderCount: 100))
  }

  @Test func apis_defaultToWhatVLLMServes_modelListsApply_andEndpointsOverride() throws {
    let configuration = try RouterConfiguration.parse(
      yaml: """
        models:
          - name: a
            apis: [chat_completions, responses]
            endpoints:
              - { name: a1, address: "http://h:1" }
              - { name: a2, address: "http://h:2", apis: chat_completions }
          - name: b
            endpoints: [{ name: b1, address: "http://h:3" }]
        default_model: a
        """)
    let endpoints = configuration.models.flatMap(\.endpoints)
    #expect(endpoints.map(\.apis) == [[.chatCompletions, .responses], [.chatCompletions],
      EndpointConfiguration.defaultAPIs])
    #expect(EndpointConfiguration.defaultAPIs == [.chatCompletions, .responses, .messages])
    #expect(endpoints[1].serves(.completions))
    #expect(!endpoints[1].serves(.messages))
  }

  @Test func apis_mustNameKnownAPIs_andIncludeChatCompletions() {
    let found = configurationIssues(
      """
      models:
        - name: a
          apis: [responses]
          endpoints: [{ name: a1, address: "http://h:1", apis: [chat_completions, graphql] }]
      default_model: a
      """)
    #expect(found.map(\.path) == ["models[0].apis", "models[0].endpoints[0].apis"])
    #expect(found.first?.message.contains("must include chat_completions") == true)
    #expect(found.last?.message.contains("'graphql' is not an API") == true)
  }

  @Test func shippedConfig_loads_withEightCategoriesAndTwoModelsOfTwoEndpoints() throws {
    let configuration = try RouterConfiguration.load(path: Repository.defaultConfigPath)
    #expect(
      Set(configuration.categories.map(\.name))
        == ["math", "science", "coding", "business", "health", "law", "history", "general"])
    #expect(configuration.models.count >= 2)
    #expect(configuration.models.allSatisfy { $0.endpoints.count >= 2 })
    #expect(configuration.categories.allSatisfy { $0.examples.count >= 50 })
    #expect(configuration.semanticCache.enabled)
  }

  @Test func categoryList_andTracingDetails_areRead() throws {
    let configuration = try RouterConfiguration.parse(
      yaml: """
        models:
          - name: m
            category: ["math", "science"]
            endpoints: [{ name: e, address: "https://[::1]", weight: 3 }]
        default_model: m
        categories:
          - name: math
            keyword_rules:
              - { operator: and, keywords: [integral, bounds], case_sensitive: true }
            examples: ["what is 2+2"]
          - name: science
        unknown_model: pass_through
        routing_headers: { model: x-model, cluster: x-cluster }
        semantic_cache: { enabled: true, similarity_threshold: 0.9, max_entries: 10, ttl_seconds: 5 }
        observability:
          tracing:
            service_name: router
            exporter:
              type: otlp_http
              headers: { api-key: secret }
              timeout: 500ms
            sampling: { type: probabilistic, rate: 0.1, parent_based: false }
            batch: { max_queue_size: 100, max_export_batch_size: 10, schedule_delay: 2s }
        """)
    let model = try #require(configuration.models.first)
    #expect(model.categories == ["math", "science"])
    #expect(model.endpoints[0].host == "::1")
    #expect(model.endpoints[0].port == 443)
    #expect(model.endpoints[0].weight == 3)
    let math = try #require(configuration.categories.first)
    #expect(
      math.keywordRules == [
        KeywordRule(operator: .and, keywords: ["integral", "bounds"], caseSensitive: true)
      ])
    #expect(math.examples == ["what is 2+2"])
    #expect(configuration.unknownModel == .passThrough)
    #expect(
      configuration.routingHeaders == RoutingHeaderNames(model: "x-model", cluster: "x-cluster"))
    #expect(
      configuration.semanticCache
        == SemanticCacheSettings(
          enabled: true, similarityThreshold: 0.9, maxEntries: 10, ttlSeconds: 5))
    #expect(configuration.tracing.serviceName == "router")
    #expect(configuration.tracing.exporter.type == .otlpHTTP)
    #expect(configuration.tracing.exporter.headers == ["api-key": "secret"])
    #expect(configuration.tracing.exporter.timeout == .milliseconds(500))
    #expect(
      configuration.tracing.sampling == .init(type: .probabilistic, rate: 0.1, parentBased: false))
    #expect(configuration.tracing.batch.maxQueueSize == 100)
    #expect(configuration.tracing.batch.scheduleDelay == .seconds(2))
  }

  @Test func unknownKey_isReportedWithPathLineAndSuggestion() {
    let found = configurationIssues(
      """
      models:
        - name: m
          category: general
          endpoint:
            - { name: e, address: "http://h:1" }
      default_model: m
      """)
    let unknown = found.first { $0.message.contains("unknown key 'endpoint'") }
    #expect(unknown?.path == "models[0].endpoint")
    #expect(unknown?.line == 4)
    #expect(unknown?.message.contains("did you mean 'endpoints'?") == true)
    // The model then also lacks its endpoints: both problems are reported.
    #expect(found.contains { $0.path == "models[0].endpoints" })
  }

  @Test func wrongTypes_areReportedWithLines_andAllAtOnce() {
    let found = configurationIssues(
      """
      models:
        - name: m
          endpoints:
            - { name: e, address: "http://h:1", weight: heavy }
      default_model: m
      max_body_bytes: "big"
      semantic_cache:
        enabled: yes please
      classifier: { confidence_threshold: 2, max_query_bytes: -1 }
      """)
    let byPath = Dictionary(found.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    #expect(byPath["models[0].endpoints[0].weight"]?.line == 4)
    #expect(
      byPath["models[0].endpoints[0].weight"]?.message.contains("expected an integer") == true)
    #expect(byPath["max_body_bytes"]?.line == 6)
    #expect(byPath["semantic_cache.enabled"]?.line == 8)
    #expect(byPath["classifier.confidence_threshold"]?.message.contains("between 0") == true)
    #expect(byPath["classifier.max_query_bytes"]?.line == 9)
    #expect(found.count >= 5)
  }

  @Test func danglingReferences_areErrors() {
    let found = configurationIssues(
      """
      models:
        - name: a
          category: [math, poetry]
          endpoints: []
        - name: b
          category: general
      default_model: c
      categories:
        - name: math
        - name: law
      auto_model_names: [auto, b]
      """)
    func has(_ path: String, _ text: String, line: Int? = nil) -> Bool {
      found.contains {
        $0.path == path && $0.message.contains(text) && (line == nil || $0.line == line)
      }
    }
    #expect(has("models[0].endpoints", "at least one endpoint", line: 4))
    #expect(has("models[1].endpoints", "has no endpoints", line: 5))
    #expect(has("models[0].category[1]", "'poetry' is not declared", line: 3))
    #expect(has("default_model", "'c' is not one of the models", line: 7))
    #expect(has("categories", "no model serves category 'law'", line: 10))
    #expect(has("auto_model_names", "'b' is also a model name"))
  }

  @Test func endpointsSharingAClusterName_mustAgree() {
    let found = configurationIssues(
      """
      models:
        - name: a
          endpoints: [{ name: Backend 1, address: "http://h1:80" }]
        - name: b
          endpoints: [{ name: backend_1, address: "http://h2:80" }]
      default_model: a
      """)
    #expect(
      found.contains {
        $0.path == "models[1].endpoints[0].name" && $0.message.contains("vsr_backend_1")
      })
  }

  @Test(arguments: [
    ("vllm:8000", "expected http://host:port"),
    ("ftp://h:21", "scheme must be http or https"),
    ("http://h:99999", "port must be 1-65535"),
    ("http://h:80/v1", "only host and port"),
    ("http://::1:80", "needs brackets"),
  ])
  func badAddresses_areRejected(address: String, message: String) {
    let found = configurationIssues(
      """
      models:
        - name: m
          endpoints: [{ name: e, address: "\(address)" }]
      default_model: m
      """)
    #expect(
      found.contains {
        $0.path == "models[0].endpoints[0].address" && $0.message.contains(message) && $0.line == 3
      })
  }

  @Test func serverLimits_areRead_andOutOfRangeOnesReportedWithLines() throws {
    let base =
      "models: [{ name: m, endpoints: [{ name: e, address: \"http://h\" }] }]\n"
      + "default_model: m\n"
    let configuration = try RouterConfiguration.parse(
      yaml: base + "server:\n  max_header_list_bytes: 16384\n  max_header_count: 50\n")
    #expect(configuration.server == ServerSettings(maxHeaderListBytes: 16384, maxHeaderCount: 50))
    let found = configurationIssues(
      base + "server:\n  max_header_list_bytes: 100\n  max_header_count: 0\n  limit: 1\n")
    #expect(
      found.contains {
        $0.path == "server.max_header_list_bytes" && $0.line == 4
          && $0.message.contains("between 1024 and 8388608")
      })
    #expect(found.contains { $0.path == "server.max_header_count" && $0.line == 5 })
    #expect(found.contains { $0.path == "server.limit" && $0.line == 6 })
  }

  @Test func serverTimeoutsAndCap_areRead_withZeroForOff_andBadOnesReportedWithLines() throws {
    let base =
      "models: [{ name: m, endpoints: [{ name: e, address: \"http://h\" }] }]\n"
      + "default_model: m\n"
    let configuration = try RouterConfiguration.parse(
      yaml: base
        + "server:\n  preface_timeout: 500ms\n  idle_timeout: 0\n  stream_idle_timeout: 2m\n"
        + "  max_connection_age: 30m\n  max_connections: 64\n")
    #expect(configuration.server.prefaceTimeout == .milliseconds(500))
    #expect(configuration.server.idleTimeout == .zero)
    #expect(configuration.server.streamIdleTimeout == .seconds(120))
    #expect(configuration.server.maxConnectionAge == .seconds(1800))
    #expect(configuration.server.maxConnections == 64)
    let defaults = try RouterConfiguration.parse(yaml: base)
    #expect(defaults.server.prefaceTimeout == .seconds(10))
    #expect(defaults.server.idleTimeout == .seconds(3600))
    #expect(defaults.server.streamIdleTimeout == .seconds(3600))
    #expect(defaults.server.maxConnectionAge == .zero)
    #expect(defaults.server.maxConnections == 1024)
    let found = configurationIssues(
      base + "server:\n  preface_timeout: soon\n  max_connections: 0\n")
    #expect(found.contains { $0.path == "server.preface_timeout" && $0.line == 4 })
    #expect(found.contains { $0.path == "server.max_connections" && $0.line == 5 })
  }

  @Test func serverTLS_isRead_offByDefault_andNeedsACertificateAndKey() throws {
    let base =
      "models: [{ name: m, endpoints: [{ name: e, address: \"http://h\" }] }]\n"
      + "default_model: m\n"
    let configuration = try RouterConfiguration.parse(
      yaml: base
        + "server:\n  tls:\n    cert_file: /t/router.pem\n    key_file: /t/router.key\n"
        + "    client_ca_file: /t/ca.pem\n")
    #expect(
      configuration.server.tls
        == ServerTLSSettings(
          certificateFile: "/t/router.pem", keyFile: "/t/router.key", clientCAFile: "/t/ca.pem"))
    #expect(try RouterConfiguration.parse(yaml: base).server.tls == nil)
    let missing = configurationIssues(base + "server:\n  tls:\n    cert_file: /t/router.pem\n")
    #expect(missing.contains { $0.path == "server.tls.key_file" && $0.line != nil })
    let unknown = configurationIssues(
      base + "server:\n  tls:\n    cert_file: a\n    key_file: b\n    ca: c\n")
    #expect(unknown.contains { $0.path == "server.tls.ca" && $0.line == 7 })
  }

  @Test func serverMemoryCaps_areRead_withSafeDefaults_andBadOnesReportedWithLines() throws {
    let base =
      "models: [{ name: m, endpoints: [{ name: e, address: \"http://h\" }] }]\n"
      + "default_model: m\n"
    let configuration = try RouterConfiguration.parse(
      yaml: base
        + "server:\n  max_connection_input_bytes: 8388608\n"
        + "  max_connection_output_bytes: 1048576\n  output_stall_timeout: 0\n"
        + "  max_buffered_bytes: 67108864\n")
    #expect(configuration.server.maxConnectionInputBytes == 8 << 20)
    #expect(configuration.server.maxConnectionOutputBytes == 1 << 20)
    #expect(configuration.server.outputStallTimeout == .zero)
    #expect(configuration.server.maxBufferedBytes == 64 << 20)
    let defaults = try RouterConfiguration.parse(yaml: base)
    #expect(defaults.server.maxConnectionInputBytes == 16 << 20)
    #expect(defaults.server.maxConnectionOutputBytes == 16 << 20)
    #expect(defaults.server.outputStallTimeout == .seconds(30))
    #expect(defaults.server.maxBufferedBytes == 256 << 20)
    // Below one 4 MiB message and its prefix the connection window would stall every upload.
    let found = configurationIssues(
      base + "server:\n  max_connection_input_bytes: 1048576\n  max_buffered_bytes: 0\n")
    #expect(found.contains { $0.path == "server.max_connection_input_bytes" && $0.line == 4 })
    #expect(found.contains { $0.path == "server.max_buffered_bytes" && $0.line == 5 })
  }

  @Test func yamlSyntaxError_hasALine() {
    let found = configurationIssues("models:\n  - name: [unclosed\ndefault_model: m\n")
    #expect(found.count == 1)
    #expect(found.first?.message.hasPrefix("invalid YAML") == true)
    #expect(found.first?.line != nil)
  }

  @Test func missingExamplesFile_isAnError() {
    let found = configurationIssues(
      """
      models: [{ name: m, category: math, endpoints: [{ name: e, address: "http://h" }] }]
      default_model: m
      categories: [{ name: math, examples_file: nowhere/math.txt }]
      """)
    #expect(found.contains { $0.path == "categories[0].examples_file" && $0.line == 3 })
  }

  @Test func load_readsExamplesRelativeToTheFile() throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("router-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(
      at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try "# comment\n\nfirst example\n  second example  \n".write(
      to: directory.appendingPathComponent("data/math.txt"), atomically: true, encoding: .utf8)
    let path = directory.appendingPathComponent("config.yaml").path
    try """
    models: [{ name: m, category: math, endpoints: [{ name: e, address: "http://h" }] }]
    default_model: m
    categories: [{ name: math, examples_file: data/math.txt }]
    """.write(toFile: path, atomically: true, encoding: .utf8)
    let configuration = try RouterConfiguration.load(path: path)
    #expect(configuration.categories.first?.examples == ["first example", "second example"])
  }

  @Test func errorDescription_namesFileLineAndPath() {
    let error = RouterConfigurationError(
      source: "router-config.yaml",
      issues: [ConfigurationIssue(path: "models[0].name", line: 2, column: 5, message: "bad")])
    #expect(error.description == "router-config.yaml: line 2, column 5: models[0].name: bad")
  }
}
