/// `observability.logging` and `observability.access_log`: how `serve` writes its log lines and
/// whether it writes one access-log line per routed request.
public struct LoggingSettings: Sendable, Equatable {
  /// The log line format.
  public enum Format: String, Sendable, CaseIterable {
    /// swift-log's text lines (the default).
    case text
    /// One JSON object per line, with `trace_id`/`span_id` on lines about a request.
    case json
  }

  /// `observability.logging.format`; `serve --log-format` wins over it.
  public var format: Format?
  /// `observability.access_log.enabled`: off unless asked.
  public var accessLogEnabled = false
  /// `observability.access_log.path`: `stdout` or a file appended to.
  public var accessLogPath = "stdout"
  /// `observability.access_log.max_queued_lines`: lines waiting for the writer thread; past it
  /// a line is dropped and counted (`semantic_router_access_log_dropped_total`).
  public var accessLogMaxQueuedLines = 10_000

  public init() {}
}
