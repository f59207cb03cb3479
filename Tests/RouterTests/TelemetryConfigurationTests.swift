import Router
import Testing
import Tracing

/// `observability.tracing` from the YAML, turned into the tracing layer's configuration with the
/// `OTEL_*` environment over it.
@Suite struct TelemetryConfigurationTests {
  static func settings(_ tracing: String) throws -> TracingSettings {
    let yaml = """
      models:
        - name: m
          category: [general]
          endpoints: [{ name: e, address: "http://127.0.0.1:9000" }]
      default_model: m
      categories:
        - name: general
          examples: ["hello there", "tell me a joke"]
      observability:
        tracing:
      \(tracing.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
      """
    return try RouterConfiguration.parse(yaml: yaml).tracing
  }

  @Test func everyYAMLField_isCarriedOver() throws {
    let settings = try Self.settings(
      """
      enabled: true
      service_name: my-router
      deployment_environment: staging
      exporter:
        type: otlp_http
        endpoint: http://collector:4318
        insecure: true
        headers: { api-key: secret }
        timeout: 3s
      sampling: { type: probabilistic, rate: 0.25, parent_based: false }
      batch:
        max_queue_size: 100
        max_export_batch_size: 10
        schedule_delay: 200ms
        export_timeout: 2s
      """)
    let configuration = settings.tracingConfiguration(environment: [:])
    #expect(configuration.enabled)
    #expect(configuration.serviceName == "my-router")
    #expect(configuration.deploymentEnvironment == "staging")
    #expect(configuration.exporter.type == .otlpHTTP)
    #expect(configuration.exporter.endpoint == "http://collector:4318")
    #expect(configuration.exporter.insecure)
    #expect(configuration.exporter.headers == ["api-key": "secret"])
    #expect(configuration.exporter.timeout == .seconds(3))
    #expect(configuration.sampling == .init(type: .probabilistic, rate: 0.25, parentBased: false))
    #expect(configuration.batch.maxQueueSize == 100)
    #expect(configuration.batch.maxExportBatchSize == 10)
    #expect(configuration.batch.scheduleDelay == .milliseconds(200))
    #expect(configuration.batch.exportTimeout == .seconds(2))
  }

  @Test func omittedFields_keepTheOpenTelemetryDefaults() throws {
    let configuration = try Self.settings("enabled: true").tracingConfiguration(environment: [:])
    #expect(configuration.exporter.type == .otlp)
    #expect(configuration.exporter.resolvedEndpoint == "localhost:4317")
    #expect(configuration.exporter.insecure)
    #expect(configuration.sampling == .init(type: .alwaysOn, parentBased: true))
    #expect(configuration.serviceName == "vllm-semantic-router")
    #expect(configuration.batch == BatchSpanProcessorConfiguration())
  }

  @Test(arguments: [
    ("always_on", TracingConfiguration.SamplingType.alwaysOn),
    ("always_off", .alwaysOff),
    ("probabilistic", .probabilistic),
  ])
  func samplingTypes_map(_ name: String, _ type: TracingConfiguration.SamplingType) throws {
    let configuration = try Self.settings("enabled: true\nsampling: { type: \(name) }")
      .tracingConfiguration(environment: [:])
    #expect(configuration.sampling.type == type)
    // always_off is the emergency switch: it does not follow sampled callers either.
    #expect(configuration.sampling.parentBased == (type != .alwaysOff))
  }

  @Test func environment_overridesTheFile() throws {
    let settings = try Self.settings(
      """
      enabled: true
      service_name: from-file
      exporter: { type: otlp, endpoint: "collector:4317" }
      sampling: { type: always_on }
      """)
    let configuration = settings.tracingConfiguration(environment: [
      "OTEL_SERVICE_NAME": "from-env",
      "OTEL_EXPORTER_OTLP_ENDPOINT": "http://other:4317",
      "OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=blue",
      "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
      "OTEL_TRACES_SAMPLER_ARG": "0.5",
      "OTEL_BSP_SCHEDULE_DELAY": "100",
    ])
    #expect(configuration.serviceName == "from-env")
    #expect(configuration.exporter.type == .otlp)
    #expect(configuration.exporter.endpoint == "http://other:4317")
    #expect(configuration.exporter.headers == ["x-tenant": "blue"])
    #expect(configuration.sampling == .init(type: .probabilistic, rate: 0.5, parentBased: true))
    #expect(configuration.batch.scheduleDelay == .milliseconds(100))
  }

  @Test func sdkDisabled_turnsTracingOff() throws {
    let configuration = try Self.settings("enabled: true")
      .tracingConfiguration(environment: ["OTEL_SDK_DISABLED": "true"])
    #expect(!configuration.enabled)
  }

  @Test func disabledInTheFile_staysDisabled() throws {
    #expect(!TracingSettings().tracingConfiguration(environment: [:]).enabled)
  }
}
