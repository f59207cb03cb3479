import Logging
import Metrics
import Synchronization
import Tracing
import Transport

/// The router's admin HTTP endpoints: `/health` (the process is alive), `/ready` (config loaded,
/// listening, not draining; with the config's generation and digest), `/metrics` (Prometheus
/// text) and `POST /reload` (reload the config file now; JSON result).
final class AdminEndpoints: Sendable {
  let registry = MetricsRegistry()
  private let readiness = Readiness()
  /// Set once `serve` has a config to reload (none in pass-through mode).
  private let reloader = ReloaderSlot()
  private let server: HTTP1Server

  init(listen: HostAndPort, logger: Logger) {
    let registry = self.registry
    let readiness = self.readiness
    let reloader = self.reloader
    // Liveness and readiness probes stay answerable while other clients hold every connection.
    server = HTTP1Server(
      configuration: .init(
        host: listen.host, port: listen.port, priorityPaths: ["/health", "/ready"]),
      logger: logger,
      actions: ["/reload": { _, reply in Self.reload(reloader.value, reply: reply) }],
      handler: HTTP1Server.routes([
        "/health": { _ in .text("ok\n") },
        "/ready": { _ in
          let config = reloader.value.map { reloader in
            let identity = reloader.holder.current.identity
            return " generation=\(identity.generation) digest=\(identity.digest)"
          }
          return readiness.flag.load(ordering: .relaxed)
            ? .text("ready\(config ?? "")\n") : .text("not ready\(config ?? "")\n", status: 503)
        },
        "/metrics": { _ in
          HTTP1ServerResponse(
            contentType: PrometheusTextFormat.contentType, body: registry.renderPrometheusText())
        },
      ]))
    registerAdminAndLogLimits()
    BuildInfo.register(in: registry)
  }

  /// Exposes the admin server's refused connections and the log lines the shared
  /// `LogRateLimiter` dropped, read at scrape time.
  private func registerAdminAndLogLimits() {
    let counters = server.counters
    registry.registerCollector {
      let suppressed = LogRateLimiter.shared.suppressedCounts().map { entry in
        LabelledSample(labels: [MetricLabel("kind", entry.kind)], value: Double(entry.count))
      }
      return [
        .counter(
          "semantic_router_admin_connections_refused_total",
          help: "Admin connections past the limit not served: closed, or 503 for a path other "
            + "than /health and /ready.",
          value: Double(counters.connectionsRefused)),
        MetricFamilySnapshot(
          name: "semantic_router_log_lines_suppressed_total",
          help: "Log lines caused by peers dropped by the rate limit (one line per kind every "
            + "10 s), by kind.",
          series: .counter(suppressed)),
      ]
    }
  }

  func start() throws -> SocketAddress { try server.start() }

  /// Ready once the ext_proc server listens; not ready again once draining begins.
  func setReady(_ value: Bool) { readiness.flag.store(value, ordering: .relaxed) }

  /// Lets `POST /reload` and `/ready` reach the config reloader.
  func setReloader(_ value: ConfigReloader) { reloader.value = value }

  /// Queues a reload and replies with its result as JSON once it ran: 200 when it took, 422
  /// with the issues when the file was refused, 404 without a config file.
  private static func reload(
    _ reloader: ConfigReloader?, reply: @escaping @Sendable (HTTP1ServerResponse) -> Void
  ) {
    guard let reloader else {
      reply(
        HTTP1ServerResponse(
          status: 404, contentType: "application/json",
          body: #"{"result":"no_config","message":"serve runs without --config"}"# + "\n"))
      return
    }
    reloader.requestReload(trigger: "admin") { result in
      var json = JSONObjectText()
      let status: Int
      switch result.outcome {
      case .reloaded:
        status = 200
        json.add("result", "reloaded")
      case .invalid(let issues):
        status = 422
        json.add("result", "invalid")
        json.add("issues", issues)
      }
      json.add("generation", result.identity.generation)
      json.add("digest", result.identity.digest)
      json.add("needs_restart", result.needsRestart)
      reply(
        HTTP1ServerResponse(status: status, contentType: "application/json", body: json.text + "\n"))
    }
  }

  func stop() { server.stop() }

  /// Exposes the ext_proc listener's refused header blocks by limit, read at scrape time.
  func registerHeaderLimits(_ counters: HTTP2HeaderLimitCounters) {
    registry.registerCollector {
      [
        MetricFamilySnapshot(
          name: "semantic_router_http2_header_limit_exceeded_total",
          help: "HTTP/2 header blocks refused (stream reset) for passing server.max_header_list_"
            + "bytes (size) or server.max_header_count (count).",
          series: .counter([
            LabelledSample(
              labels: [MetricLabel("limit", "size")], value: Double(counters.sizeExceeded)),
            LabelledSample(
              labels: [MetricLabel("limit", "count")], value: Double(counters.countExceeded)),
          ]))
      ]
    }
  }

  /// Exposes what the ext_proc listener's timeouts, connection cap and memory caps did, its
  /// open connections and the bytes its connections hold, read at scrape time.
  func registerConnectionLimits(_ limits: HTTP2ServerLimits) {
    let counters = limits.counters
    let budget = limits.memoryBudget
    registry.registerCollector {
      let refused = HTTP2ServerCounters.RefuseReason.allCases.map { reason in
        LabelledSample(
          labels: [MetricLabel("reason", reason.rawValue)],
          value: Double(counters.refused(reason)))
      }
      let closed = HTTP2ServerCounters.CloseReason.allCases.map { reason in
        LabelledSample(
          labels: [MetricLabel("reason", reason.rawValue)], value: Double(counters.closed(reason)))
      }
      return [
        MetricFamilySnapshot(
          name: "semantic_router_connections_closed_total",
          help: "ext_proc connections the router closed by a limit: server.preface_timeout, "
            + "idle_timeout, max_connection_age (GOAWAY), max_connections, or out of "
            + "descriptors (emfile), output_stalled (a peer that does not read), a failed TLS "
            + "handshake (tls_handshake), the peer's protocol error (protocol_error), or control "
            + "frames sent faster than their answers were read (flood).",
          series: .counter(closed)),
        MetricFamilySnapshot(
          name: "semantic_router_streams_reset_total",
          help: "ext_proc streams the router reset by a limit (server.stream_idle_timeout).",
          series: .counter([
            LabelledSample(
              labels: [MetricLabel("reason", "stream_idle_timeout")],
              value: Double(counters.streamsResetForIdling))
          ])),
        .gauge(
          "semantic_router_connections_open", help: "ext_proc connections open now.",
          value: Double(counters.openConnections)),
        MetricFamilySnapshot(
          name: "semantic_router_streams_refused_total",
          help: "ext_proc streams refused (REFUSED_STREAM) by a memory cap: "
            + "server.max_connection_input_bytes, max_connection_output_bytes or "
            + "max_buffered_bytes.",
          series: .counter(refused)),
        .counter(
          "semantic_router_connection_read_pauses_total",
          help: "Times an ext_proc connection stopped reading because its peer did not take its "
            + "answers (server.max_connection_output_bytes reached).",
          value: Double(counters.readsPausedForOutput)),
        .gauge(
          "semantic_router_buffered_bytes",
          help: "Request bytes held unconsumed and response bytes queued unsent by all ext_proc "
            + "connections (limit: server.max_buffered_bytes).",
          value: Double(budget.heldBytes)),
      ]
    }
  }

  /// Exposes the tracing pipeline's counters, read at scrape time.
  func registerTracing(_ metrics: TracingMetrics) {
    registry.registerCollector {
      let figures = metrics.snapshot()
      let failures = SpanExportFailure.Reason.allCases.map { reason in
        LabelledSample(
          labels: [MetricLabel("reason", reason.rawValue)],
          value: Double(figures.exportFailures[reason, default: 0]))
      }
      return [
        .counter(
          "semantic_router_spans_started_total", help: "Spans started, sampled or not.",
          value: Double(figures.spansStarted)),
        .counter(
          "semantic_router_spans_sampled_total", help: "Spans recorded for export.",
          value: Double(figures.spansSampled)),
        .counter(
          "semantic_router_spans_exported_total", help: "Spans the collector accepted.",
          value: Double(figures.spansExported)),
        .counter(
          "semantic_router_spans_dropped_total",
          help: "Spans dropped because the export queue was full.",
          value: Double(figures.spansDroppedQueueFull)),
        .counter(
          "semantic_router_spans_failed_total", help: "Spans in failed exports.",
          value: Double(figures.spansFailedExport)),
        MetricFamilySnapshot(
          name: "semantic_router_span_export_failures_total",
          help: "Failed export calls by reason.", series: .counter(failures)),
        .histogram(
          "semantic_router_span_export_duration_seconds", help: "Export call latency.",
          value: HistogramSnapshot(
            upperBounds: TracingMetrics.latencyBucketBounds,
            bucketCounts: figures.exportLatencyBuckets, sum: figures.exportLatencySumSeconds,
            count: figures.exportLatencyCount)),
      ]
    }
  }

  /// The `/ready` answer, shared with the handler (an `Atomic` cannot be captured by copy).
  private final class Readiness: Sendable {
    let flag = Atomic<Bool>(false)
  }

  private final class ReloaderSlot: Sendable {
    private let slot = Mutex<ConfigReloader?>(nil)

    var value: ConfigReloader? {
      get { slot.withLock { $0 } }
      set { slot.withLock { $0 = newValue } }
    }
  }
}
