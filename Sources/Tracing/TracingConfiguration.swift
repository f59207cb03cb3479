import Transport

/// Everything that configures tracing: the router reads it from `observability.tracing` in its
/// YAML, then `applyingEnvironment` overlays the `OTEL_*` variables.
public struct TracingConfiguration: Sendable, Hashable {
  /// The version reported as `service.version`, `telemetry.sdk.version` and the scope version
  /// unless configured.
  public static let defaultServiceVersion = "0.1.0"

  /// Where spans go (`observability.tracing.exporter.type`).
  public enum ExporterType: String, Sendable, Hashable, CaseIterable {
    /// OTLP over gRPC (default endpoint `localhost:4317`).
    case otlp
    /// OTLP over HTTP with protobuf bodies (default endpoint `http://localhost:4318/v1/traces`).
    case otlpHTTP = "otlp_http"
    /// One JSON object per span on standard output.
    case stdout
  }

  /// Exporter settings.
  public struct Exporter: Sendable, Hashable {
    public var type: ExporterType
    /// `host:port` or a URL for `otlp`; a URL for `otlp_http` (no path: `/v1/traces`). Nil
    /// means the type's default.
    public var endpoint: String?
    /// For `otlp` (gRPC) with a `host:port` endpoint: plaintext instead of TLS. A URL's scheme
    /// decides instead (`https://` is always TLS), and OTLP/HTTP always follows the scheme, as
    /// the OTLP exporter spec says for `OTEL_EXPORTER_OTLP_INSECURE`. See `tlsConfiguration`.
    public var insecure: Bool
    /// Extra request headers / gRPC metadata (e.g. an API key).
    public var headers: [String: String]
    /// Bound of one export call, retries included.
    public var timeout: Duration
    /// PEM file of CA certificates trusted for TLS (`ca_file`, `OTEL_EXPORTER_OTLP_CERTIFICATE`);
    /// nil trusts the system roots.
    public var caFile: String?
    /// PEM client certificate chain for mutual TLS (`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`).
    public var clientCertificateFile: String?
    /// PEM key of the client certificate (`OTEL_EXPORTER_OTLP_CLIENT_KEY`).
    public var clientKeyFile: String?

    public init(
      type: ExporterType = .otlp, endpoint: String? = nil, insecure: Bool = true,
      headers: [String: String] = [:], timeout: Duration = .seconds(10), caFile: String? = nil,
      clientCertificateFile: String? = nil, clientKeyFile: String? = nil
    ) {
      self.type = type
      self.endpoint = endpoint
      self.insecure = insecure
      self.headers = headers
      self.timeout = timeout
      self.caFile = caFile
      self.clientCertificateFile = clientCertificateFile
      self.clientKeyFile = clientKeyFile
    }

    /// The TLS settings the exporter connects with, or nil for plaintext.
    ///
    /// An `https://` endpoint is TLS and an `http://` one plaintext, for both exporters. An
    /// OTLP/gRPC endpoint without a scheme (`host:port`) is TLS unless `insecure`. ALPN offers
    /// `h2` for gRPC and `http/1.1` for OTLP/HTTP; the certificate must name the endpoint's host.
    public var tlsConfiguration: TLSConfiguration? {
      let endpoint = resolvedEndpoint.lowercased()
      let secure: Bool
      switch type {
      case .stdout: return nil
      case .otlpHTTP: secure = endpoint.hasPrefix("https://")
      case .otlp:
        if endpoint.hasPrefix("https://") {
          secure = true
        } else if endpoint.hasPrefix("http://") {
          secure = false
        } else {
          secure = !insecure
        }
      }
      guard secure else { return nil }
      return TLSConfiguration(
        caFile: caFile, alpnProtocols: type == .otlp ? ["h2"] : ["http/1.1"],
        clientCertificateFile: clientCertificateFile, clientKeyFile: clientKeyFile)
    }

    /// The endpoint, or the default for the type.
    public var resolvedEndpoint: String {
      if let endpoint { return endpoint }
      return switch type {
      case .otlp: "localhost:4317"
      case .otlpHTTP: "http://localhost:4318/v1/traces"
      case .stdout: ""
      }
    }
  }

  /// The sampling rule for root spans (`observability.tracing.sampling.type`).
  public enum SamplingType: String, Sendable, Hashable, CaseIterable {
    case alwaysOn = "always_on"
    case alwaysOff = "always_off"
    /// A fraction `rate` of traces, decided on the trace id.
    case probabilistic
  }

  /// Sampler settings (the router's YAML `sampling:` section: `type`, `rate`, `parent_based`).
  public struct Sampling: Sendable, Hashable {
    public var type: SamplingType
    /// For `probabilistic`: the fraction sampled, 0...1.
    public var rate: Double
    /// Follow the parent's sampled flag and use `type` only for roots (default true).
    public var parentBased: Bool

    public init(type: SamplingType = .alwaysOn, rate: Double = 1.0, parentBased: Bool = true) {
      self.type = type
      self.rate = rate
      self.parentBased = parentBased
    }

    /// The sampler these settings describe.
    public func makeSampler() -> any Sampler {
      let root: any Sampler =
        switch type {
        case .alwaysOn: AlwaysOnSampler()
        case .alwaysOff: AlwaysOffSampler()
        case .probabilistic: TraceIDRatioSampler(ratio: rate)
        }
      return parentBased ? ParentBasedSampler(root: root) : root
    }
  }

  /// Whether spans are recorded at all (`observability.tracing.enabled`).
  public var enabled: Bool
  public var exporter: Exporter
  public var sampling: Sampling
  public var batch: BatchSpanProcessorConfiguration
  public var limits: SpanLimits
  /// `service.name` (default `vllm-semantic-router`).
  public var serviceName: String
  /// `service.version`.
  public var serviceVersion: String
  /// `deployment.environment.name`, when set.
  public var deploymentEnvironment: String?
  /// Extra resource attributes (`OTEL_RESOURCE_ATTRIBUTES` adds to these).
  public var resourceAttributes: [String: String]

  public init(
    enabled: Bool = false, exporter: Exporter = Exporter(), sampling: Sampling = Sampling(),
    batch: BatchSpanProcessorConfiguration = BatchSpanProcessorConfiguration(),
    limits: SpanLimits = SpanLimits(), serviceName: String = "vllm-semantic-router",
    serviceVersion: String = TracingConfiguration.defaultServiceVersion,
    deploymentEnvironment: String? = nil, resourceAttributes: [String: String] = [:]
  ) {
    self.enabled = enabled
    self.exporter = exporter
    self.sampling = sampling
    self.batch = batch
    self.limits = limits
    self.serviceName = serviceName
    self.serviceVersion = serviceVersion
    self.deploymentEnvironment = deploymentEnvironment
    self.resourceAttributes = resourceAttributes
  }
}
