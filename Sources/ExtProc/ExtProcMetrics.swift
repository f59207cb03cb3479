public import Metrics

/// The ext_proc figures on `/metrics`: streams by how they ended, protocol errors, and the time
/// the router spends answering each message (decode, processor, encode).
public struct ExtProcMetrics: Sendable {
  let streamsCompleted: Counter
  let streamsCancelled: Counter
  let streamsFailed: Counter
  let protocolErrors: Counter
  let messageDuration: Histogram

  /// Registers the families in `registry`.
  public init(registry: MetricsRegistry) {
    let streams = registry.counter(
      "semantic_router_extproc_streams", help: "ext_proc streams by how they ended.",
      labelNames: ["outcome"])
    streamsCompleted = streams.labels("completed")
    streamsCancelled = streams.labels("cancelled")
    streamsFailed = streams.labels("failed")
    protocolErrors = registry.counter(
      "semantic_router_extproc_protocol_errors",
      help: "ext_proc streams closed with an error status (undecodable or out-of-order messages).")
    messageDuration = registry.histogram(
      "semantic_router_extproc_message_duration_seconds",
      help: "Time to answer one ext_proc message: decode, process, encode.",
      buckets: [0.000_005, 0.00001, 0.000_025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.025])
  }

  func streamEnded(_ end: ProcessorStreamEnd) {
    switch end {
    case .completed: streamsCompleted.increment()
    // Envoy resets finished streams and gives up on slow ones: both count as cancelled.
    case .cancelled, .deadlineExceeded, .connectionClosed: streamsCancelled.increment()
    case .failed: streamsFailed.increment()
    }
  }
}
