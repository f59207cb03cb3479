import Logging

/// Tracing put together from a `TracingConfiguration`: sampler, tracer, batch processor and
/// exporter sharing one `TracingMetrics`.
///
/// Disabled configuration: a `Tracer.disabled()` that passes the parent context through and
/// records nothing. Call `shutdown` on SIGTERM to flush what is queued.
public final class TracingPipeline: Sendable {
  public let configuration: TracingConfiguration
  public let tracer: Tracer
  public let processor: any SpanProcessor
  public let metrics: TracingMetrics

  /// Builds the pipeline. `exporter`, when given, replaces the configured one (tests).
  public init(
    configuration: TracingConfiguration, exporter: (any SpanExporter)? = nil,
    logger: Logger = Logger(label: "semantic-router.tracing")
  ) throws(TracingConfigurationError) {
    self.configuration = configuration
    let metrics = TracingMetrics()
    self.metrics = metrics
    guard configuration.enabled else {
      tracer = .disabled()
      processor = NoopSpanProcessor()
      return
    }
    let chosen: any SpanExporter
    if let exporter {
      chosen = exporter
    } else {
      chosen = try Self.makeExporter(configuration, metrics: metrics, logger: logger)
    }
    let processor = BatchSpanProcessor(
      exporter: chosen, configuration: configuration.batch, metrics: metrics)
    self.processor = processor
    tracer = Tracer(
      sampler: configuration.sampling.makeSampler(), processor: processor,
      limits: configuration.limits, metrics: metrics)
    logger.info(
      "tracing enabled",
      metadata: [
        "exporter": "\(configuration.exporter.type.rawValue)",
        "endpoint": "\(configuration.exporter.resolvedEndpoint)",
        "sampler": "\(tracer.sampler.samplerDescription)",
        "service.name": "\(configuration.serviceName)",
      ])
  }

  /// The exporter `configuration` names.
  static func makeExporter(
    _ configuration: TracingConfiguration, metrics: TracingMetrics, logger: Logger
  ) throws(TracingConfigurationError) -> any SpanExporter {
    let exporter = configuration.exporter
    switch exporter.type {
    case .stdout:
      return StdoutSpanExporter(serviceName: configuration.serviceName)
    case .otlpHTTP:
      // The URL's scheme decides TLS (`tlsConfiguration`), with the configured CA and client
      // certificate.
      return try OTLPHTTPExporter(
        endpoint: exporter.resolvedEndpoint, options: otlpOptions(configuration, metrics, logger))
    case .otlp:
      return try OTLPGRPCExporter(
        endpoint: exporter.resolvedEndpoint, insecure: exporter.insecure,
        options: otlpOptions(configuration, metrics, logger))
    }
  }

  /// What either OTLP exporter is given from `configuration` besides its endpoint.
  private static func otlpOptions(
    _ configuration: TracingConfiguration, _ metrics: TracingMetrics, _ logger: Logger
  ) -> OTLPExportOptions {
    let exporter = configuration.exporter
    return OTLPExportOptions(
      resource: TracingResource.attributes(for: configuration),
      headers: exporter.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) },
      timeout: exporter.timeout, tls: exporter.tlsConfiguration,
      scopeVersion: configuration.serviceVersion, metrics: metrics, logger: logger)
  }

  /// Exports everything ended so far.
  public func forceFlush(timeout: Duration) -> Bool {
    processor.forceFlush(timeout: timeout)
  }

  /// Stops intake, flushes the queue within `timeout` (default: the export timeout) and shuts
  /// the exporter.
  public func shutdown(timeout: Duration? = nil) -> Bool {
    processor.shutdown(timeout: timeout ?? configuration.batch.exportTimeout)
  }
}
