import Metrics

/// The OpenTelemetry GenAI semantic conventions' metrics, in Prometheus form (dots become
/// underscores, the unit a suffix), per model and category: what an operator's GenAI dashboards
/// already know how to read, beside the router's own `semantic_router_*` figures.
///
/// Names, units and bucket boundaries follow
/// <https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/>. Only requests a backend
/// answered are counted (a cache hit or a rejection never reached a model server). Labels:
/// `gen_ai_operation_name` (`chat` or `text_completion`), `gen_ai_provider_name` (the same value
/// as on the spans), `gen_ai_request_model` (the model the router chose) and `category` (the
/// router's classification), plus `error_type` on the request duration (empty on success, else
/// the HTTP status or how the stream ended) and `gen_ai_token_type` on the token usage.
public struct GenAIMetrics: Sendable {
  /// `gen_ai.server.request.duration` boundaries, in seconds.
  public static let requestDurationBuckets: [Double] = [
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
  ]
  /// `gen_ai.server.time_to_first_token` boundaries, in seconds.
  public static let timeToFirstTokenBuckets: [Double] = [
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
  ]
  /// `gen_ai.server.time_per_output_token` boundaries, in seconds.
  public static let timePerOutputTokenBuckets: [Double] = [
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5,
  ]
  /// `gen_ai.client.token.usage` boundaries, in tokens (powers of four, 1 to 4^13).
  public static let tokenUsageBuckets: [Double] = Histogram.exponentialBuckets(
    start: 1, factor: 4, count: 14)

  static let labelNames = [
    "gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "category",
  ]

  let requestDuration: HistogramFamily
  let timeToFirstToken: HistogramFamily
  let timePerOutputToken: HistogramFamily
  let tokenUsage: HistogramFamily
  /// `gen_ai_provider_name` on every series.
  let providerName: String

  init(registry: MetricsRegistry, providerName: String) {
    self.providerName = providerName
    requestDuration = registry.histogram(
      "gen_ai_server_request_duration_seconds",
      help: "GenAI server request duration: from the request headers to the last byte of the "
        + "backend's answer (gen_ai.server.request.duration).",
      labelNames: Self.labelNames + ["error_type"], buckets: Self.requestDurationBuckets)
    timeToFirstToken = registry.histogram(
      "gen_ai_server_time_to_first_token_seconds",
      help: "Time from the request headers to the first generated token of a successful "
        + "streamed response (gen_ai.server.time_to_first_token).",
      labelNames: Self.labelNames, buckets: Self.timeToFirstTokenBuckets)
    timePerOutputToken = registry.histogram(
      "gen_ai_server_time_per_output_token_seconds",
      help: "Time per output token after the first one, of successful streamed responses "
        + "(gen_ai.server.time_per_output_token).",
      labelNames: Self.labelNames, buckets: Self.timePerOutputTokenBuckets)
    tokenUsage = registry.histogram(
      "gen_ai_client_token_usage",
      help: "Input and output tokens per request as the backend's usage reported them "
        + "(gen_ai.client.token.usage), by gen_ai_token_type.",
      labelNames: Self.labelNames + ["gen_ai_token_type"], buckets: Self.tokenUsageBuckets)
  }

  /// `gen_ai.operation.name` for a request path: `text_completion` for `/v1/completions`, else
  /// `chat` (as on the spans).
  static func operationName(path: String) -> String {
    path == "/v1/completions" ? "text_completion" : "chat"
  }
}
