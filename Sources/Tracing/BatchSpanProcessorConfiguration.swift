/// Settings of the batch span processor, with the OpenTelemetry SDK defaults.
///
/// [OTel SDK environment variables, "Batch Span Processor"](https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/#batch-span-processor).
public struct BatchSpanProcessorConfiguration: Sendable, Hashable {
  /// Most ended spans waiting for export; more are dropped and counted
  /// (`OTEL_BSP_MAX_QUEUE_SIZE`, default 2048).
  public var maxQueueSize: Int
  /// Longest wait between exports (`OTEL_BSP_SCHEDULE_DELAY`, milliseconds, default 5000).
  public var scheduleDelay: Duration
  /// Most spans per export call; a full batch is exported at once
  /// (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, default 512, at most `maxQueueSize`).
  public var maxExportBatchSize: Int
  /// Longest one export call may take (`OTEL_BSP_EXPORT_TIMEOUT`, milliseconds, default 30000).
  public var exportTimeout: Duration

  public init(
    maxQueueSize: Int = 2048, scheduleDelay: Duration = .milliseconds(5000),
    maxExportBatchSize: Int = 512, exportTimeout: Duration = .milliseconds(30000)
  ) {
    self.maxQueueSize = maxQueueSize
    self.scheduleDelay = scheduleDelay
    self.maxExportBatchSize = maxExportBatchSize
    self.exportTimeout = exportTimeout
  }

  /// The settings with `OTEL_BSP_*` variables from `environment` applied (invalid values are
  /// ignored, as the spec asks).
  public func applyingEnvironment(_ environment: [String: String]) -> Self {
    var copy = self
    if let v = EnvironmentValue.positiveInt(environment["OTEL_BSP_MAX_QUEUE_SIZE"]) {
      copy.maxQueueSize = v
    }
    if let v = EnvironmentValue.milliseconds(environment["OTEL_BSP_SCHEDULE_DELAY"]) {
      copy.scheduleDelay = v
    }
    if let v = EnvironmentValue.positiveInt(environment["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"]) {
      copy.maxExportBatchSize = v
    }
    if let v = EnvironmentValue.milliseconds(environment["OTEL_BSP_EXPORT_TIMEOUT"]) {
      copy.exportTimeout = v
    }
    return copy
  }

  /// Sizes made consistent: at least 1, batch size no larger than the queue.
  var normalized: Self {
    var copy = self
    copy.maxQueueSize = max(copy.maxQueueSize, 1)
    copy.maxExportBatchSize = min(max(copy.maxExportBatchSize, 1), copy.maxQueueSize)
    return copy
  }
}
