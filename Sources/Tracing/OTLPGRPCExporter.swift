import Foundation
import GRPC
import Logging
import Transport

/// Exports spans with OTLP/gRPC: unary `opentelemetry.proto.collector.trace.v1.TraceService/Export`
/// over our own HTTP/2 client.
///
/// [OTLP spec, "OTLP/gRPC"](https://opentelemetry.io/docs/specs/otlp/#otlpgrpc). One connection,
/// made on first use and made again after the collector closes it or restarts, each time
/// resolving the host again and trying all its addresses (a name that does not resolve yet
/// fails the export as `resolve`, never the exporter's construction). Retries only
/// CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS (a collector
/// that cannot be reached is UNAVAILABLE) per `OTLPRetryPolicy`, never other codes; logs and
/// counts a partial success without retrying. An `https://` endpoint, or a `host:port` one with
/// `insecure: false`, is TLS (ALPN h2; system roots or the configured CA file); `http://`, or
/// `host:port` with `insecure: true`, is cleartext h2c.
public final class OTLPGRPCExporter: SpanExporter {
  /// The method every OTLP/gRPC trace collector serves.
  public static let exportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
  /// The port used when the endpoint names none.
  public static let defaultPort = 4317

  private let client: GRPCUnaryClient
  private let metadata: [GRPCMetadataField]
  private let core: OTLPExporterCore

  /// - Parameters:
  ///   - endpoint: `host:port`, or `http(s)://host:port` (a path is ignored, as the OTLP
  ///     exporter spec says for gRPC); the port defaults to 4317.
  ///   - insecure: cleartext for a `host:port` endpoint; a URL's scheme decides instead.
  ///   - options: resource, metadata (names lower-cased), timeout, TLS (ALPN `h2` when nil),
  ///     retries, metrics, log and clock.
  public init(
    endpoint: String, insecure: Bool = true, options: OTLPExportOptions
  ) throws(TracingConfigurationError) {
    let target = try Target(endpoint: endpoint)
    var configuration = GRPCUnaryClient.Configuration(host: target.host, port: target.port)
    configuration.connectTimeout = min(options.timeout, .seconds(5))
    // Exports come from the span processor's one export thread, which drives the connection
    // itself while it waits for the collector's answer.
    configuration.threading = .caller
    if target.scheme == "https" || (target.scheme == nil && !insecure) {
      configuration.tls = options.tls ?? TLSConfiguration(alpnProtocols: ["h2"])
    }
    do {
      client = try GRPCUnaryClient(configuration: configuration, logger: options.logger)
    } catch let error as TLSError {
      // The CA file or client certificate cannot be loaded: fail at start-up, not per export.
      throw TracingConfigurationError(.tls, "\(endpoint): \(error.message)")
    } catch {
      throw TracingConfigurationError(.invalidEndpoint, "\(endpoint): \(error)")
    }
    metadata = options.headers.map {
      GRPCMetadataField(name: $0.name.lowercased(), value: $0.value)
    }
    core = OTLPExporterCore(options: options)
  }

  public func export(_ batch: [SpanData], deadline: ContinuousClock.Instant) -> SpanExportResult {
    core.export(batch, deadline: deadline) { request, deadline in
      let remaining = core.clock.now.duration(to: deadline)
      guard remaining > .zero else {
        return .failed(SpanExportFailure(.timeout, "export deadline passed"))
      }
      let result = client.call(
        path: Self.exportPath, request: request, metadata: metadata, timeout: remaining)
      return outcome(of: result, spans: batch.count, deadline: deadline)
    }
  }

  public func shutdown() {
    guard core.shutDown() else { return }
    client.shutdown()
  }

  private func outcome(
    of result: Result<[UInt8], GRPCStatus>, spans: Int, deadline: ContinuousClock.Instant
  ) -> OTLPRetryPolicy.Attempt {
    switch result {
    case .success(let response):
      core.reportPartialSuccess(in: response, exporter: "OTLP/gRPC")
      return .success
    case .failure(let status)
    where status.code == .deadlineExceeded && core.clock.now >= deadline:
      return .failed(SpanExportFailure(.timeout, "DEADLINE_EXCEEDED: \(status.message)"))
    case .failure(let status) where OTLPRetryPolicy.isRetryable(grpcStatus: status.code):
      let reason: SpanExportFailure.Reason =
        if GRPCUnaryClient.isUnresolved(status) {
          .resolve
        } else if status.code == .unavailable {
          .connection
        } else {
          .retriesExhausted
        }
      return .retryable(
        SpanExportFailure(reason, "gRPC \(status.code): \(status.message)"), retryAfter: nil)
    case .failure(let status):
      LogRateLimiter.shared.log(
        .warning, kind: "otlp.export_rejected", to: core.logger,
        "OTLP/gRPC export rejected",
        metadata: [
          "grpc_status": "\(status.code)", "message": "\(status.message)", "spans": "\(spans)",
        ])
      return .failed(SpanExportFailure(.rejected, "gRPC \(status.code): \(status.message)"))
    }
  }

  /// Where the collector listens: `host:port` or an `http(s)://` URL.
  struct Target: Sendable, Hashable {
    /// `http`, `https`, or nil for a bare `host:port`.
    var scheme: String?
    var host: String
    var port: Int

    init(endpoint: String) throws(TracingConfigurationError) {
      var rest = Substring(endpoint.trimmingCharacters(in: .whitespaces))
      if let schemeEnd = rest.range(of: "://") {
        let scheme = rest[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
          throw TracingConfigurationError(
            .invalidEndpoint, "\(endpoint): scheme must be http or https")
        }
        self.scheme = scheme
        rest = rest[schemeEnd.upperBound...]
      } else {
        scheme = nil
      }
      let authority = rest.prefix { $0 != "/" && $0 != "?" }
      (host, port) = try OTLPEndpoint.hostAndPort(
        of: authority, in: endpoint, defaultPort: OTLPGRPCExporter.defaultPort)
    }
  }
}
