import Foundation
import Testing

@testable import Tracing

@Suite("configuration and OTEL_* environment")
struct TracingConfigurationTests {
  @Test func defaults_matchTheSpecAndTheIssue() {
    let c = TracingConfiguration()
    #expect(!c.enabled)
    #expect(c.serviceName == "vllm-semantic-router")
    #expect(c.exporter.type == .otlp)
    #expect(c.exporter.resolvedEndpoint == "localhost:4317")
    #expect(c.sampling == .init(type: .alwaysOn, rate: 1, parentBased: true))
    #expect(c.batch == BatchSpanProcessorConfiguration(
      maxQueueSize: 2048, scheduleDelay: .milliseconds(5000), maxExportBatchSize: 512,
      exportTimeout: .milliseconds(30000)))
    #expect(c.limits.attributeCountLimit == 128)
    #expect(c.limits.attributeValueLengthLimit == nil)
  }

  @Test func genericEndpoint_getsV1TracesForHTTP_andIsUsedAsIsForGRPC() {
    let http = TracingConfiguration().applyingEnvironment([
      "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
      "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
    ])
    #expect(http.exporter.type == .otlpHTTP)
    #expect(http.exporter.endpoint == "http://collector:4318/v1/traces")
    let withPath = TracingConfiguration(exporter: .init(type: .otlpHTTP)).applyingEnvironment([
      "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/base/"
    ])
    #expect(withPath.exporter.endpoint == "http://collector:4318/base/v1/traces")
    let grpc = TracingConfiguration().applyingEnvironment([
      "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"
    ])
    #expect(grpc.exporter.type == .otlp)
    #expect(grpc.exporter.endpoint == "http://collector:4317")
  }

  @Test func tracesEndpoint_winsAndIsUsedAsIs() throws {
    let c = TracingConfiguration(exporter: .init(type: .otlpHTTP)).applyingEnvironment([
      "OTEL_EXPORTER_OTLP_ENDPOINT": "http://generic:4318",
      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:4318/custom/path",
    ])
    #expect(c.exporter.endpoint == "http://traces:4318/custom/path")
    let bare = TracingConfiguration(exporter: .init(type: .otlpHTTP)).applyingEnvironment([
      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:4318"
    ])
    #expect(try OTLPEndpoint(url: bare.exporter.resolvedEndpoint).path == "/")
    // From YAML, a URL without a path means the standard traces path.
    #expect(try OTLPEndpoint(url: "http://yaml:4318").path == "/v1/traces")
  }

  @Test func headersTimeoutInsecureAndBatchSettings_areRead() {
    let c = TracingConfiguration(exporter: .init(headers: ["a": "yaml", "keep": "1"]))
      .applyingEnvironment([
        "OTEL_EXPORTER_OTLP_HEADERS": "a=env, api-key=secret%20value,broken",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "a=traces",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
        "OTEL_EXPORTER_OTLP_INSECURE": "false",
        "OTEL_BSP_MAX_QUEUE_SIZE": "100",
        "OTEL_BSP_SCHEDULE_DELAY": "250",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "10",
        "OTEL_BSP_EXPORT_TIMEOUT": "not-a-number",
        "OTEL_ATTRIBUTE_COUNT_LIMIT": "64",
        "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT": "1024",
      ])
    #expect(c.exporter.headers == ["a": "traces", "keep": "1", "api-key": "secret value"])
    #expect(c.exporter.timeout == .milliseconds(2500))
    #expect(!c.exporter.insecure)
    #expect(c.batch.maxQueueSize == 100)
    #expect(c.batch.scheduleDelay == .milliseconds(250))
    #expect(c.batch.maxExportBatchSize == 10)
    #expect(c.batch.exportTimeout == .milliseconds(30000))
    #expect(c.limits.attributeCountLimit == 64)
    #expect(c.limits.attributeValueLengthLimit == 1024)
  }

  @Test func perSignalVariables_winOverTheGeneralOnes_andFallBackWhenEmpty() {
    let specific = TracingConfiguration().applyingEnvironment([
      "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
      "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
      "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
      "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": " 700 ",
      "OTEL_EXPORTER_OTLP_INSECURE": "true",
      "OTEL_EXPORTER_OTLP_TRACES_INSECURE": "false",
    ])
    #expect(specific.exporter.type == .otlpHTTP)
    #expect(specific.exporter.timeout == .milliseconds(700))
    #expect(!specific.exporter.insecure)
    let fallback = TracingConfiguration().applyingEnvironment([
      "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
      "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "",
      "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
      "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "  ",
      "OTEL_EXPORTER_OTLP_INSECURE": "false",
      "OTEL_EXPORTER_OTLP_TRACES_INSECURE": "\t",
    ])
    #expect(fallback.exporter.type == .otlpHTTP)
    #expect(fallback.exporter.timeout == .milliseconds(2500))
    #expect(!fallback.exporter.insecure)
  }

  @Test func spanLimits_spanVariablesWinOverTheGeneralOnes() {
    let c = TracingConfiguration().applyingEnvironment([
      "OTEL_ATTRIBUTE_COUNT_LIMIT": "64",
      "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "32",
      "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "512",
      "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT": "256",
      "OTEL_SPAN_EVENT_COUNT_LIMIT": "7",
      "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT": "3",
    ])
    #expect(c.limits.attributeCountLimit == 32)
    #expect(c.limits.attributeValueLengthLimit == 256)
    #expect(c.limits.eventCountLimit == 7)
    #expect(c.limits.eventAttributeCountLimit == 3)
  }

  @Test func serviceName_envBeatsResourceAttributesWhichBeatConfig() {
    let config = TracingConfiguration(serviceName: "from-yaml")
    let viaAttributes = config.applyingEnvironment([
      "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs,team=ml%2Fops,deployment.environment.name=prod"
    ])
    #expect(viaAttributes.serviceName == "from-attrs")
    #expect(viaAttributes.deploymentEnvironment == "prod")
    #expect(viaAttributes.resourceAttributes == ["team": "ml/ops"])
    let viaName = config.applyingEnvironment([
      "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs", "OTEL_SERVICE_NAME": "from-env",
    ])
    #expect(viaName.serviceName == "from-env")
  }

  @Test func disabledAndExporterSelection() {
    let on = TracingConfiguration(enabled: true)
    #expect(!on.applyingEnvironment(["OTEL_SDK_DISABLED": "true"]).enabled)
    #expect(!on.applyingEnvironment(["OTEL_TRACES_EXPORTER": "none"]).enabled)
    #expect(on.applyingEnvironment(["OTEL_TRACES_EXPORTER": "console"]).exporter.type == .stdout)
    // A stdout exporter ignores the OTLP protocol variable.
    let stdout = TracingConfiguration(exporter: .init(type: .stdout))
    #expect(stdout.applyingEnvironment(["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"]).exporter.type == .stdout)
  }

  @Test func resource_hasTheStandardAttributesAndExtras() {
    var c = TracingConfiguration(deploymentEnvironment: "staging", resourceAttributes: ["host.name": "override", "zone": "a"])
    c.serviceName = "svc"
    let attributes = TracingResource.attributes(for: c, hostName: "box", processID: 42)
    let dict = Dictionary(uniqueKeysWithValues: attributes.map { ($0.key, $0.value) })
    #expect(attributes.first == SpanAttribute("service.name", "svc"))
    #expect(dict["service.version"] == .string(TracingConfiguration.defaultServiceVersion))
    #expect(dict["deployment.environment.name"] == "staging")
    #expect(dict["host.name"] == "override")
    #expect(dict["process.pid"] == .int(42))
    #expect(dict["telemetry.sdk.language"] == "swift")
    #expect(dict["telemetry.sdk.name"] == "semantic-router")
    #expect(dict["zone"] == "a")
    #expect(!TracingResource.currentHostName().isEmpty)
  }

  @Test func pipeline_disabledPassesContextThrough_andOTLPGRPCLoadsTheTLSSettings() throws {
    let disabled = try TracingPipeline(configuration: TracingConfiguration())
    #expect(!disabled.tracer.isEnabled)
    let tls = TracingConfiguration(
      enabled: true,
      exporter: .init(
        type: .otlp, endpoint: "https://127.0.0.1:4317", caFile: "/nonexistent/ca.pem"))
    #expect(throws: TracingConfigurationError.self) {
      try TracingPipeline(configuration: tls)
    }
    let exporter = RecordingExporter()
    let custom = try TracingPipeline(
      configuration: TracingConfiguration(enabled: true), exporter: exporter)
    custom.tracer.startSpan("s", parent: nil).end()
    #expect(custom.shutdown())
    #expect(exporter.exportedNames == ["s"])
  }
}

@Suite("stdout exporter")
struct StdoutSpanExporterTests {
  @Test func line_isOneJSONObjectWithReadableFields() throws {
    let span = SpanData(
      name: "semantic_router.routing.decision", kind: .server,
      context: SpanContext(
        traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), traceFlags: .sampled),
      parentSpanID: SpanID(4), startTimeUnixNanos: 1_000_000, endTimeUnixNanos: 3_500_000,
      attributes: [
        SpanAttribute("routing.reason", "quote \" and \n newline"), SpanAttribute("n", .int(3)),
        SpanAttribute("ok", true), SpanAttribute("tags", .stringArray(["a", "b"])),
      ],
      events: [SpanEvent(name: "e", timeUnixNanos: 2_000_000)],
      status: .error(message: "boom"))
    let line = StdoutSpanExporter(serviceName: "svc").line(for: span)
    #expect(!line.contains("\n"))
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    #expect(object["traceId"] as? String == "00000000000000010000000000000002")
    #expect(object["spanId"] as? String == "0000000000000003")
    #expect(object["parentSpanId"] as? String == "0000000000000004")
    #expect(object["name"] as? String == "semantic_router.routing.decision")
    #expect(object["kind"] as? String == "SERVER")
    #expect(object["durationMs"] as? Double == 2.5)
    let attributes = try #require(object["attributes"] as? [String: Any])
    #expect(attributes["routing.reason"] as? String == "quote \" and \n newline")
    #expect(attributes["n"] as? Int == 3)
    #expect(attributes["ok"] as? Bool == true)
    #expect(attributes["tags"] as? [String] == ["a", "b"])
    #expect((object["events"] as? [[String: Any]])?.first?["name"] as? String == "e")
    let status = try #require(object["status"] as? [String: Any])
    #expect(status["code"] as? String == "ERROR")
    #expect(status["message"] as? String == "boom")
    #expect((object["resource"] as? [String: Any])?["service.name"] as? String == "svc")
  }
}
