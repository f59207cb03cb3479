import Tracing

/// `observability.tracing` as written in the router config, for the tracing layer to turn into
/// its own configuration (environment variables such as `OTEL_*` are applied there, not here).
///
/// Fields left out of the file are nil, so the tracing layer can tell "not set" from a value and
/// apply its own defaults and environment overrides.
public struct TracingSettings: Sendable, Equatable {
  /// `enabled` (default false).
  public var enabled: Bool
  /// `service_name`.
  public var serviceName: String?
  /// `deployment_environment` (resource attribute `deployment.environment.name`).
  public var deploymentEnvironment: String?
  public var exporter: Exporter
  public var sampling: Sampling
  public var batch: Batch

  public init(
    enabled: Bool = false, serviceName: String? = nil, deploymentEnvironment: String? = nil,
    exporter: Exporter = Exporter(), sampling: Sampling = Sampling(), batch: Batch = Batch()
  ) {
    self.enabled = enabled
    self.serviceName = serviceName
    self.deploymentEnvironment = deploymentEnvironment
    self.exporter = exporter
    self.sampling = sampling
    self.batch = batch
  }

  /// `exporter:` (`type`, `endpoint`, `insecure`, `headers`, `timeout`, `ca_file`): the tracing
  /// layer's own; a field the file leaves out keeps its OpenTelemetry default.
  public typealias Exporter = TracingConfiguration.Exporter

  /// `exporter.type` values: the tracing layer's own.
  public typealias ExporterType = TracingConfiguration.ExporterType

  /// `sampling:` (`type`, `rate`, `parent_based`): the tracing layer's own.
  public typealias Sampling = TracingConfiguration.Sampling

  /// `sampling.type` values: the tracing layer's own.
  public typealias SamplingType = TracingConfiguration.SamplingType

  /// `batch:` (the batch span processor).
  public struct Batch: Sendable, Equatable {
    /// `max_queue_size` (OTel default 2048).
    public var maxQueueSize: Int?
    /// `max_export_batch_size` (OTel default 512).
    public var maxExportBatchSize: Int?
    /// `schedule_delay` (OTel default 5 s).
    public var scheduleDelay: Duration?
    /// `export_timeout` (OTel default 30 s).
    public var exportTimeout: Duration?

    public init(
      maxQueueSize: Int? = nil, maxExportBatchSize: Int? = nil, scheduleDelay: Duration? = nil,
      exportTimeout: Duration? = nil
    ) {
      self.maxQueueSize = maxQueueSize
      self.maxExportBatchSize = maxExportBatchSize
      self.scheduleDelay = scheduleDelay
      self.exportTimeout = exportTimeout
    }
  }
}
