import Logging
import Synchronization
import Transport

/// What the OTLP/gRPC and OTLP/HTTP exporters share, whatever carries the request: the shutdown
/// flag, the batch encoder, the export timeout and retry policy on the export clock, and the
/// metrics and log that a collector's partial success goes to.
final class OTLPExporterCore: Sendable {
  let timeout: Duration
  let retryPolicy: OTLPRetryPolicy
  let metrics: TracingMetrics
  let logger: Logger
  let clock: any ExportClock
  private let shutDownFlag = Atomic<Bool>(false)
  /// Ends a retry wait when the exporter shuts down.
  private let shutdownWakeup = ExportWakeup()
  /// The export thread's encoder (one export at a time).
  private let encoder: Mutex<OTLPTraceEncoder>

  init(options: OTLPExportOptions) {
    timeout = options.timeout
    retryPolicy = options.retryPolicy
    metrics = options.metrics
    logger = options.logger
    clock = options.clock
    encoder = Mutex(
      OTLPTraceEncoder(
        resource: options.resource, scopeName: "semantic-router",
        scopeVersion: options.scopeVersion))
  }

  /// Exports `batch`: fails once shut down, encodes it, and calls `send` with the request and
  /// the export's deadline (the processor's, or `timeout` from now if sooner) until it succeeds,
  /// fails for good, the attempts or the deadline run out, or the exporter shuts down (which
  /// ends a retry wait at once: the export then fails as `.shutdown`).
  func export(
    _ batch: [SpanData], deadline: ContinuousClock.Instant,
    send: (_ request: [UInt8], _ deadline: ContinuousClock.Instant) -> OTLPRetryPolicy.Attempt
  ) -> SpanExportResult {
    guard !isShutDown else {
      return .failure(SpanExportFailure(.shutdown, "exporter shut down"))
    }
    guard !batch.isEmpty else { return .success }
    let deadline = min(deadline, clock.now.advanced(by: timeout))
    return encoder.withLock { encoder in
      let request = encoder.encode(batch)
      return retryPolicy.run(
        deadline: deadline, clock: clock, stop: shutdownWakeup, isStopped: { isShutDown }
      ) { send(request, deadline) }
    }
  }

  /// Whether `shutDown` was called.
  var isShutDown: Bool { shutDownFlag.load(ordering: .acquiring) }

  /// Marks the exporter shut down and wakes an export waiting to retry; true the first time
  /// only.
  func shutDown() -> Bool {
    guard !shutDownFlag.exchange(true, ordering: .acquiringAndReleasing) else { return false }
    shutdownWakeup.signal()
    return true
  }

  /// Counts and logs the partial success a collector's `response` reports, if any (never
  /// retried: OTLP spec, "Partial Success"). `exporter` names the protocol in the log line.
  func reportPartialSuccess(in response: [UInt8], exporter: String) {
    guard let partial = OTLPPartialSuccess.decode(response), partial.isReported else { return }
    metrics.partialSuccessRejected(Int(partial.rejectedSpans))
    LogRateLimiter.shared.log(
      .warning, kind: "otlp.partial_success", to: logger,
      "\(exporter) partial success",
      metadata: [
        "rejected_spans": "\(partial.rejectedSpans)",
        "error_message": "\(partial.errorMessage)",
      ])
  }
}
