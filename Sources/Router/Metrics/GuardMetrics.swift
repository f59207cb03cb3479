import Metrics

/// The request guards' figures: PII found by type and the action taken, jailbreak attempts
/// detected by action, and the guards' time per request.
struct GuardMetrics: Sendable {
  let piiDetections: CounterFamily
  let jailbreakDetections: CounterFamily
  let jailbreakTruncated: Counter
  let duration: Histogram

  init(registry: MetricsRegistry) {
    piiDetections = registry.counter(
      "semantic_router_guard_pii_detections",
      help: "Requests in which the PII guard found a type, by type and the action taken "
        + "(allow, block, redact).",
      labelNames: ["type", "action"])
    jailbreakDetections = registry.counter(
      "semantic_router_guard_jailbreak_detections",
      help: "Requests whose jailbreak score reached the threshold, by the action taken "
        + "(flag, block).",
      labelNames: ["action"])
    jailbreakTruncated = registry.counter(
      "semantic_router_guard_jailbreak_truncated",
      help: "Requests with a message longer than guards.jailbreak.max_scan_bytes, of which only "
        + "the head and tail were scored.")
    duration = registry.histogram(
      "semantic_router_guard_duration_seconds",
      help: "Time the request guards took for one request (PII scan and jailbreak score).",
      buckets: [0.000_001, 0.000_005, 0.00001, 0.000_025, 0.00005, 0.0001, 0.0005, 0.001, 0.01])
  }

  /// Counts one request's guard record.
  func count(_ record: GuardRecord) {
    for type in record.piiTypes {
      piiDetections.labels(type.rawValue, record.piiAction.rawValue).increment()
    }
    if record.jailbreakDetected {
      jailbreakDetections.labels(record.jailbreakAction.rawValue).increment()
    }
    if record.jailbreakTruncated { jailbreakTruncated.increment() }
  }
}
