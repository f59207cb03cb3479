import Foundation
import Tracing

extension TracingSettings {
  /// The tracing layer's configuration for these YAML settings, with the `OTEL_*` variables of
  /// `environment` applied over them (`TracingConfiguration.applyingEnvironment`).
  ///
  /// Fields the file leaves out keep the OpenTelemetry defaults: exporter `otlp` to
  /// `localhost:4317` in plain text, a 10 s export timeout, `parentbased_always_on` sampling,
  /// the batch processor's 2048 / 512 / 5 s / 30 s, service name `vllm-semantic-router`.
  public func tracingConfiguration(
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> TracingConfiguration {
    var configuration = TracingConfiguration(enabled: enabled)
    if let serviceName { configuration.serviceName = serviceName }
    configuration.deploymentEnvironment = deploymentEnvironment

    configuration.exporter = exporter

    // `always_off` is the emergency switch: nothing is recorded, not even under a sampled
    // caller (OTEL_TRACES_SAMPLER=parentbased_always_off still gives the parent-following form).
    configuration.sampling = sampling
    if sampling.type == .alwaysOff { configuration.sampling.parentBased = false }

    if let size = batch.maxQueueSize { configuration.batch.maxQueueSize = size }
    if let size = batch.maxExportBatchSize { configuration.batch.maxExportBatchSize = size }
    if let delay = batch.scheduleDelay { configuration.batch.scheduleDelay = delay }
    if let timeout = batch.exportTimeout { configuration.batch.exportTimeout = timeout }
    return configuration.applyingEnvironment(environment)
  }
}
