import Logging
import Transport

/// What an OTLP exporter is given besides its endpoint, the same for OTLP/gRPC and OTLP/HTTP.
///
/// The `OTEL_EXPORTER_OTLP_*` settings each field follows are named on it
/// ([OTLP exporter spec](https://opentelemetry.io/docs/specs/otel/protocol/exporter/)).
public struct OTLPExportOptions: Sendable {
  /// The resource attributes sent with every batch.
  public var resource: [SpanAttribute]
  /// Extra request headers, or gRPC metadata (lower-cased there)
  /// (`OTEL_EXPORTER_OTLP_HEADERS`).
  public var headers: [(name: String, value: String)]
  /// Bound of one export, retries included (`OTEL_EXPORTER_OTLP_TIMEOUT`); the processor's
  /// export deadline also applies.
  public var timeout: Duration
  /// The TLS settings when the endpoint is TLS (CA file, client certificate, server name); nil
  /// trusts the system roots with the protocol's ALPN. Not used for cleartext.
  public var tls: TLSConfiguration?
  /// The instrumentation scope's version on every batch.
  public var scopeVersion: String
  /// When a failed export is sent again.
  public var retryPolicy: OTLPRetryPolicy
  /// Where partial successes are counted.
  public var metrics: TracingMetrics
  /// Where rejected exports and partial successes are logged.
  public var logger: Logger
  /// What deadlines are measured and retry waits spent on (tests pass their own).
  public var clock: any ExportClock

  public init(
    resource: [SpanAttribute], headers: [(name: String, value: String)] = [],
    timeout: Duration = .seconds(10), tls: TLSConfiguration? = nil,
    scopeVersion: String = TracingConfiguration.defaultServiceVersion,
    retryPolicy: OTLPRetryPolicy = OTLPRetryPolicy(), metrics: TracingMetrics = TracingMetrics(),
    logger: Logger = Logger(label: "semantic-router.tracing"),
    clock: any ExportClock = SystemExportClock()
  ) {
    self.resource = resource
    self.headers = headers
    self.timeout = timeout
    self.tls = tls
    self.scopeVersion = scopeVersion
    self.retryPolicy = retryPolicy
    self.metrics = metrics
    self.logger = logger
    self.clock = clock
  }
}
