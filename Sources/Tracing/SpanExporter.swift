/// Sends finished spans somewhere (OpenTelemetry SDK "SpanExporter").
///
/// The batch span processor calls `export` from its own thread, one call at a time, so an
/// exporter may block (with `deadline` as its bound).
public protocol SpanExporter: Sendable {
  /// Exports one batch, giving up by `deadline`.
  func export(_ batch: [SpanData], deadline: ContinuousClock.Instant) -> SpanExportResult
  /// Releases connections; later exports fail with `.shutdown`.
  func shutdown()
}

/// The outcome of one export call.
public enum SpanExportResult: Sendable, Hashable {
  case success
  case failure(SpanExportFailure)
}

/// Why an export failed, grouped into the reasons the metrics count.
public struct SpanExportFailure: Error, Sendable, Hashable {
  public enum Reason: String, Sendable, Hashable, CaseIterable {
    /// The deadline passed (including while waiting to retry).
    case timeout
    /// The collector's host name did not resolve (yet): looked up again on the next attempt.
    case resolve
    /// The collector could not be reached or the connection broke.
    case connection
    /// The collector kept answering with a retryable code (HTTP 429/502/503/504, gRPC
    /// UNAVAILABLE…) until the retries or the deadline ran out.
    case retriesExhausted = "retries_exhausted"
    /// The collector refused the batch with a code that must not be retried.
    case rejected
    /// The exporter was shut down.
    case shutdown
  }

  public var reason: Reason
  /// Detail for logs (status code, errno text).
  public var message: String

  public init(_ reason: Reason, _ message: String = "") {
    self.reason = reason
    self.message = message
  }
}
