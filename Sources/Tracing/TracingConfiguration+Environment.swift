extension TracingConfiguration {
  /// The configuration with the OpenTelemetry environment variables applied over it, as the
  /// [SDK environment variable spec](https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/)
  /// and the [OTLP exporter spec](https://opentelemetry.io/docs/specs/otel/protocol/exporter/)
  /// say. Invalid values are ignored. Variables read:
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
    var c = self
    func value(_ name: String) -> String? { EnvironmentValue.trimmed(environment[name]) }

    if EnvironmentValue.bool(environment["OTEL_SDK_DISABLED"]) == true { c.enabled = false }
    switch value("OTEL_TRACES_EXPORTER")?.lowercased() {
    case "none": c.enabled = false
    case "console": c.exporter.type = .stdout
    case "otlp": if c.exporter.type == .stdout { c.exporter.type = .otlp }
    default: break
    }

    // Exporter.
    if c.exporter.type != .stdout {
      switch (value("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? value("OTEL_EXPORTER_OTLP_PROTOCOL"))?
        .lowercased()
      {
      case "grpc": c.exporter.type = .otlp
      case "http/protobuf": c.exporter.type = .otlpHTTP
      default: break
      }
      if let endpoint = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        c.exporter.endpoint = Self.signalEndpoint(endpoint, type: c.exporter.type)
      } else if let endpoint = value("OTEL_EXPORTER_OTLP_ENDPOINT") {
        c.exporter.endpoint =
          c.exporter.type == .otlpHTTP ? Self.appendingTracesPath(endpoint) : endpoint
      }
    }
    for name in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] {
      for (k, v) in EnvironmentValue.keyValueList(environment[name]) { c.exporter.headers[k] = v }
    }
    if let t = EnvironmentValue.milliseconds(
      environment["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"] ?? environment["OTEL_EXPORTER_OTLP_TIMEOUT"])
    {
      c.exporter.timeout = t
    }
    if let insecure = EnvironmentValue.bool(
      environment["OTEL_EXPORTER_OTLP_TRACES_INSECURE"] ?? environment["OTEL_EXPORTER_OTLP_INSECURE"])
    {
      c.exporter.insecure = insecure
    }
    func signalValue(_ suffix: String) -> String? {
      value("OTEL_EXPORTER_OTLP_TRACES_\(suffix)") ?? value("OTEL_EXPORTER_OTLP_\(suffix)")
    }
    if let file = signalValue("CERTIFICATE") { c.exporter.caFile = file }
    if let file = signalValue("CLIENT_CERTIFICATE") { c.exporter.clientCertificateFile = file }
    if let file = signalValue("CLIENT_KEY") { c.exporter.clientKeyFile = file }

    // Sampler.
    let ratio: Double = {
      guard let arg = value("OTEL_TRACES_SAMPLER_ARG"), let r = Double(arg), (0...1).contains(r)
      else { return 1.0 }
      return r
    }()
    switch value("OTEL_TRACES_SAMPLER")?.lowercased() {
    case "always_on": c.sampling = Sampling(type: .alwaysOn, parentBased: false)
    case "always_off": c.sampling = Sampling(type: .alwaysOff, parentBased: false)
    case "traceidratio": c.sampling = Sampling(type: .probabilistic, rate: ratio, parentBased: false)
    case "parentbased_always_on": c.sampling = Sampling(type: .alwaysOn, parentBased: true)
    case "parentbased_always_off": c.sampling = Sampling(type: .alwaysOff, parentBased: true)
    case "parentbased_traceidratio":
      c.sampling = Sampling(type: .probabilistic, rate: ratio, parentBased: true)
    default: break
    }

    // Batching and limits.
    c.batch = c.batch.applyingEnvironment(environment)
    if let n = EnvironmentValue.positiveInt(
      environment["OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT"] ?? environment["OTEL_ATTRIBUTE_COUNT_LIMIT"])
    {
      c.limits.attributeCountLimit = n
    }
    if let n = EnvironmentValue.positiveInt(
      environment["OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT"]
        ?? environment["OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"])
    {
      c.limits.attributeValueLengthLimit = n
    }
    if let n = EnvironmentValue.positiveInt(environment["OTEL_SPAN_EVENT_COUNT_LIMIT"]) {
      c.limits.eventCountLimit = n
    }
    if let n = EnvironmentValue.positiveInt(environment["OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"]) {
      c.limits.eventAttributeCountLimit = n
    }

    // Resource.
    for (k, v) in EnvironmentValue.keyValueList(environment["OTEL_RESOURCE_ATTRIBUTES"]) {
      switch k {
      case "service.name": c.serviceName = v
      case "service.version": c.serviceVersion = v
      case "deployment.environment.name": c.deploymentEnvironment = v
      default: c.resourceAttributes[k] = v
      }
    }
    if let name = value("OTEL_SERVICE_NAME") { c.serviceName = name }
    return c
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
