import Foundation
import Logging
import Synchronization
import Transport

/// Exports spans with OTLP/HTTP: `POST /v1/traces`, `Content-Type: application/x-protobuf`.
///
/// [OTLP spec, "OTLP/HTTP"](https://opentelemetry.io/docs/specs/otlp/#otlphttp). Keeps one
/// connection alive and reconnects when it breaks; retries 429/502/503/504 (honouring
/// `Retry-After`) and connection failures per `OTLPRetryPolicy`, never other codes; logs and
/// counts a partial success. Requests go through `HTTPClient` (libcurl), so through the proxy
/// that `https_proxy` / `http_proxy` name unless `no_proxy` lists the host. An `https://`
/// endpoint is TLS: the certificate must chain to the system roots or the configured CA file
/// and name the host; a TLS failure (e.g. `certificate verify failed`) is not retried within
/// the export. The host is resolved for each new connection (all its addresses tried), never at
/// construction: a name that does not resolve yet fails exports as `resolve`. `shutdown` never
/// waits for an export in progress: it ends its retry wait and aborts its request.
public final class OTLPHTTPExporter: SpanExporter {
  private let endpoint: OTLPEndpoint
  private let headers: [(name: String, value: String)]
  private let core: OTLPExporterCore
  /// The export thread's connection, closed by `shutdown` when no export holds it, else by the
  /// export as it ends.
  private let client: Mutex<HTTPClient>
  /// Raised by `shutdown` to abort the request in progress.
  private let cancellation = HTTPClientCancellation()

  /// - Parameters:
  ///   - endpoint: the full URL (`http://host:4318/v1/traces`; a URL without a path gets
  ///     `/v1/traces`).
  ///   - options: resource, request headers, timeout, TLS for an `https://` endpoint (ALPN
  ///     `http/1.1` when nil), retries, metrics, log and clock.
  public init(endpoint: String, options: OTLPExportOptions) throws(TracingConfigurationError) {
    let parsed = try OTLPEndpoint(url: endpoint)
    var clientTLS: TLSConfiguration?
    if parsed.scheme == "https" {
      let configuration = options.tls ?? TLSConfiguration(alpnProtocols: ["http/1.1"])
      do throws(TLSError) {
        // Loads the CA file and client certificate now, so a bad path fails at start-up.
        _ = try TLSContext.shared(for: configuration)
      } catch {
        throw TracingConfigurationError(.tls, "\(endpoint): \(error.message)")
      }
      clientTLS = configuration
    }
    self.endpoint = parsed
    headers = options.headers
    core = OTLPExporterCore(options: options)
    client = Mutex(
      HTTPClient(
        host: parsed.host, port: parsed.port, tls: clientTLS, cancellation: cancellation))
  }

  public func export(_ batch: [SpanData], deadline: ContinuousClock.Instant) -> SpanExportResult {
    let endpoint = endpoint
    let requestHeaders = [("Content-Type", "application/x-protobuf")] + headers
    // Held for the whole export, retries included: the client is the export thread's alone.
    return client.withLock { client in
      defer {
        // A shutdown during the export left the closing to it.
        if core.isShutDown { client.close() }
      }
      return core.export(batch, deadline: deadline) { body, deadline in
        let response: HTTPResponse
        do throws(HTTPClientError) {
          response = try client.request(
            method: "POST", path: endpoint.path, headers: requestHeaders, body: body,
            deadline: deadline)
        } catch {
          if error.reason == .cancelled {
            return .failed(SpanExportFailure(.shutdown, error.description))
          }
          if error.reason == .timeout {
            return .failed(SpanExportFailure(.timeout, error.description))
          }
          if error.reason == .resolve {
            return .retryable(SpanExportFailure(.resolve, error.description), retryAfter: nil)
          }
          if error.reason == .tls {
            // Certificates and names do not change between attempts.
            return .failed(SpanExportFailure(.connection, error.description))
          }
          return .retryable(SpanExportFailure(.connection, error.description), retryAfter: nil)
        }
        return outcome(of: response, spans: batch.count)
      }
    }
  }

  /// Marks the exporter shut down, ends an export's retry wait, aborts its request, and closes
  /// the connection now if no export holds it (else that export closes it as it returns).
  public func shutdown() {
    guard core.shutDown() else { return }
    cancellation.cancel()
    _ = client.withLockIfAvailable { $0.close() }
  }

  private func outcome(of response: HTTPResponse, spans: Int) -> OTLPRetryPolicy.Attempt {
    switch response.status {
    case 200..<300:
      core.reportPartialSuccess(in: response.body, exporter: "OTLP/HTTP")
      return .success
    case let status where OTLPRetryPolicy.isRetryable(httpStatus: status):
      let now = Int(SystemTracingClock().nowUnixNanos() / 1_000_000_000)
      return .retryable(
        SpanExportFailure(.retriesExhausted, "HTTP \(status)"),
        retryAfter: OTLPRetryPolicy.retryAfter(response.header("retry-after"), nowUnixSeconds: now))
    case let status:
      let detail = String(decoding: response.body.prefix(200), as: UTF8.self)
      LogRateLimiter.shared.log(
        .warning, kind: "otlp.export_rejected", to: core.logger,
        "OTLP/HTTP export rejected",
        metadata: ["status": "\(status)", "spans": "\(spans)", "body": "\(detail)"])
      return .failed(SpanExportFailure(.rejected, "HTTP \(status)"))
    }
  }
}
