extension TracingConfiguration {
  /// The configuration with the OpenTelemetry environment variables applied over it, as the
  /// [SDK environment variable spec](https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/)
  /// and the [OTLP exporter spec](https://opentelemetry.io/docs/specs/otel/protocol/exporter/)
  /// say. Invalid values are ignored; so are empty ones, and a per-signal variable
  /// (`…_TRACES_…`) left empty falls back to the general one. Variables read:
  ///
  /// - `OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER` (`otlp`, `console`, `none`)
  /// - `OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL` (`grpc`, `http/protobuf`)
  /// - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is), `OTEL_EXPORTER_OTLP_ENDPOINT` (for
  ///   OTLP/HTTP `v1/traces` is appended to its path)
  /// - `OTEL_EXPORTER_OTLP[_TRACES]_HEADERS`, `_TIMEOUT` (ms), `_INSECURE`
  /// - `OTEL_EXPORTER_OTLP[_TRACES]_CERTIFICATE` (CA file), `_CLIENT_CERTIFICATE`, `_CLIENT_KEY`
  /// - `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`
  /// - `OTEL_BSP_*`, `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT` / `OTEL_ATTRIBUTE_COUNT_LIMIT`,
  ///   `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` / `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`,
  ///   `OTEL_SPAN_EVENT_COUNT_LIMIT`, `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`
  /// - `OTEL_SERVICE_NAME` (wins over everything), `OTEL_RESOURCE_ATTRIBUTES`
  public func applyingEnvironment(_ environment: [String: String]) -> TracingConfiguration {
    let variables = OTelEnvironment(environment)
    var configuration = self
    configuration.applyExporterSelection(variables)
    if configuration.exporter.type != .stdout {
      configuration.applyOTLPProtocolAndEndpoint(variables)
    }
    configuration.applyOTLPConnection(variables)
    configuration.applySampler(variables)
    configuration.batch = batch.applyingEnvironment(environment)
    configuration.applyLimits(variables)
    configuration.applyResource(variables)
    return configuration
  }

  /// `OTEL_SDK_DISABLED`, `OTEL_TRACES_EXPORTER`.
  private mutating func applyExporterSelection(_ variables: OTelEnvironment) {
    if EnvironmentValue.bool(variables.value("OTEL_SDK_DISABLED")) == true { enabled = false }
    switch variables.value("OTEL_TRACES_EXPORTER")?.lowercased() {
    case "none": enabled = false
    case "console": exporter.type = .stdout
    case "otlp": if exporter.type == .stdout { exporter.type = .otlp }
    default: break
    }
  }

  /// `OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL` and `_ENDPOINT`.
  private mutating func applyOTLPProtocolAndEndpoint(_ variables: OTelEnvironment) {
    switch variables.otlpValue("PROTOCOL")?.lowercased() {
    case "grpc": exporter.type = .otlp
    case "http/protobuf": exporter.type = .otlpHTTP
    default: break
    }
    if let endpoint = variables.value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
      exporter.endpoint = Self.signalEndpoint(endpoint, type: exporter.type)
    } else if let endpoint = variables.value("OTEL_EXPORTER_OTLP_ENDPOINT") {
      exporter.endpoint =
        exporter.type == .otlpHTTP ? Self.appendingTracesPath(endpoint) : endpoint
    }
  }

  /// `OTEL_EXPORTER_OTLP[_TRACES]_HEADERS` (the per-signal ones win name by name), `_TIMEOUT`,
  /// `_INSECURE`, `_CERTIFICATE`, `_CLIENT_CERTIFICATE`, `_CLIENT_KEY`.
  private mutating func applyOTLPConnection(_ variables: OTelEnvironment) {
    for name in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] {
      for (key, value) in EnvironmentValue.keyValueList(variables.value(name)) {
        exporter.headers[key] = value
      }
    }
    if let timeout = EnvironmentValue.milliseconds(variables.otlpValue("TIMEOUT")) {
      exporter.timeout = timeout
    }
    if let insecure = EnvironmentValue.bool(variables.otlpValue("INSECURE")) {
      exporter.insecure = insecure
    }
    if let file = variables.otlpValue("CERTIFICATE") { exporter.caFile = file }
    if let file = variables.otlpValue("CLIENT_CERTIFICATE") {
      exporter.clientCertificateFile = file
    }
    if let file = variables.otlpValue("CLIENT_KEY") { exporter.clientKeyFile = file }
  }

  /// `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` (a ratio in 0...1, default 1).
  private mutating func applySampler(_ variables: OTelEnvironment) {
    var ratio = 1.0
    if let argument = variables.value("OTEL_TRACES_SAMPLER_ARG").flatMap(Double.init),
      (0...1).contains(argument)
    {
      ratio = argument
    }
    switch variables.value("OTEL_TRACES_SAMPLER")?.lowercased() {
    case "always_on": sampling = Sampling(type: .alwaysOn, parentBased: false)
    case "always_off": sampling = Sampling(type: .alwaysOff, parentBased: false)
    case "traceidratio": sampling = Sampling(type: .probabilistic, rate: ratio, parentBased: false)
    case "parentbased_always_on": sampling = Sampling(type: .alwaysOn, parentBased: true)
    case "parentbased_always_off": sampling = Sampling(type: .alwaysOff, parentBased: true)
    case "parentbased_traceidratio":
      sampling = Sampling(type: .probabilistic, rate: ratio, parentBased: true)
    default: break
    }
  }

  /// The span limits: `OTEL_SPAN_*` over the general `OTEL_ATTRIBUTE_*`.
  private mutating func applyLimits(_ variables: OTelEnvironment) {
    if let count = EnvironmentValue.positiveInt(
      variables.firstValue("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"))
    {
      limits.attributeCountLimit = count
    }
    if let length = EnvironmentValue.positiveInt(
      variables.firstValue(
        "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"))
    {
      limits.attributeValueLengthLimit = length
    }
    if let count = EnvironmentValue.positiveInt(variables.value("OTEL_SPAN_EVENT_COUNT_LIMIT")) {
      limits.eventCountLimit = count
    }
    if let count = EnvironmentValue.positiveInt(
      variables.value("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"))
    {
      limits.eventAttributeCountLimit = count
    }
  }

  /// `OTEL_RESOURCE_ATTRIBUTES`, then `OTEL_SERVICE_NAME` over everything.
  private mutating func applyResource(_ variables: OTelEnvironment) {
    for (key, value) in EnvironmentValue.keyValueList(variables.value("OTEL_RESOURCE_ATTRIBUTES")) {
      switch key {
      case "service.name": serviceName = value
      case "service.version": serviceVersion = value
      case "deployment.environment.name": deploymentEnvironment = value
      default: resourceAttributes[key] = value
      }
    }
    if let name = variables.value("OTEL_SERVICE_NAME") { serviceName = name }
  }

  /// `base` with `v1/traces` appended to its path (OTLP exporter spec, "Endpoint URLs for
  /// OTLP/HTTP").
  static func appendingTracesPath(_ base: String) -> String {
    base.hasSuffix("/") ? base + "v1/traces" : base + "/v1/traces"
  }

  /// A per-signal endpoint is used as is; for OTLP/HTTP a URL without a path keeps the root
  /// path (`/`), so the exporter does not add `/v1/traces` to it.
  static func signalEndpoint(_ url: String, type: ExporterType) -> String {
    guard type == .otlpHTTP, let schemeEnd = url.range(of: "://") else { return url }
    return url[schemeEnd.upperBound...].contains("/") ? url : url + "/"
  }
}
