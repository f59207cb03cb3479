import ArgumentParser
import Foundation
import ExtProc
import GRPC
import Logging
import Metrics
import RedisCache
import Router
import Tracing
import Transport

/// `semantic-router serve`: the ext_proc gRPC server Envoy talks to.
struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve Envoy's ext_proc filter (and gRPC health) over h2c."
  )

  @Option(help: "Router config YAML; without it every request passes through unchanged.")
  var config: String?

  // Loopback by default: whoever reaches the ext_proc port can store answers in the cache.
  @Option(help: "Address to listen on for ext_proc and health, HOST:PORT.")
  var listen = HostAndPort(host: "127.0.0.1", port: 50051)

  @Option(help: "Admin HTTP address (/health, /ready, /metrics), HOST:PORT.")
  var admin = HostAndPort(host: "127.0.0.1", port: 8080)

  @Option(help: "Event loop threads (default: one per core).")
  var threads: Int?

  @Option(help: "Seconds open streams get to finish after SIGTERM/SIGINT.")
  var drainTimeout: Double = 15

  @Option(help: "Largest gRPC message accepted, in bytes.")
  var maxMessageBytes: Int = 4 << 20

  @Flag(
    inversion: .prefixedNo,
    help: "Reload the config when its file changes (also on SIGHUP and POST /reload).")
  var watchConfig = true

  @Option(
    help: """
      Log line format: text, or json (one object per line with trace_id and span_id on \
      request lines). Wins over observability.logging.format; default text.
      """)
  var logFormat: LoggingSettings.Format?

  func validate() throws {
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    guard drainTimeout >= 0 else { throw ValidationError("--drain-timeout must not be negative") }
  }

  func run() throws {
    ProcessSignals.block()
    // Read before logging starts: the config may choose the log format.
    let loaded = config.map { path in Result { try ConfigReloader.loadSnapshot(path: path) } }
    let loadedConfiguration = (try? loaded?.get())?.router.configuration
    Self.bootstrapLogging(
      format: logFormat ?? loadedConfiguration?.logging.format ?? .text,
      serviceName: (loadedConfiguration?.tracing ?? TracingSettings()).tracingConfiguration()
        .serviceName)
    let logger = Logger(label: "semantic-router")

    let adminEndpoints = AdminEndpoints(listen: admin, logger: logger)
    let processor = try makeProcessor(
      loaded: loaded, registry: adminEndpoints.registry, logger: logger)
    if let pipeline = processor.tracing { adminEndpoints.registerTracing(pipeline.metrics) }
    if let reloader = processor.reloader { adminEndpoints.setReloader(reloader) }
    var configuration = GRPCServer.Configuration(
      host: listen.host, port: listen.port, maxReceiveMessageSize: maxMessageBytes)
    if let threads { configuration.threads = threads }
    configuration.http2.maxHeaderListBytes = UInt32(processor.server.maxHeaderListBytes)
    configuration.http2.maxHeaderCount = processor.server.maxHeaderCount
    adminEndpoints.registerHeaderLimits(configuration.http2.headerLimitCounters)
    configuration.limits = Self.limits(processor.server)
    configuration.tls = processor.server.tls.map { tls in
      TLSServerConfiguration(
        certificateFile: tls.certificateFile, keyFile: tls.keyFile,
        clientCAFile: tls.clientCAFile)
    }
    adminEndpoints.registerConnectionLimits(configuration.limits)
    let server = GRPCServer(configuration: configuration, logger: logger)
    server.register(
      path: ExtProcService.methodPath,
      factory: ExtProcService.handlerFactory(
        processorFactory: processor.factory, logger: logger,
        metrics: ExtProcMetrics(registry: adminEndpoints.registry)))
    let adminAddress = try adminEndpoints.start()
    try server.start()
    if !listen.isLoopback && configuration.tls == nil {
      logger.warning(
        """
        ext_proc listens on a non-loopback address without TLS: anyone who reaches it can \
        route requests and store cached answers; set server.tls or listen on loopback
        """,
        metadata: ["listen": "\(listen)"])
    }
    adminEndpoints.setReady(true)
    logger.info(
      "semantic-router ready",
      metadata: ["processor": "\(processor.name)", "admin": "\(adminAddress)"])
    let watcher = processor.reloader.flatMap { startWatching(with: $0, logger: logger) }

    let signal = waitForStop(reloader: processor.reloader, logger: logger)
    logger.info("shutting down", metadata: ["signal": "\(signal)"])
    adminEndpoints.setReady(false)
    watcher?.stop()
    processor.reloader?.stop()
    server.beginGracefulShutdown(drainTimeout: .milliseconds(Int(drainTimeout * 1000)))
    server.wait()
    if let pipeline = processor.tracing {
      // Streams are drained: every span has ended. Flush the queue within the export timeout.
      let flushed = pipeline.shutdown()
      let figures = pipeline.metrics.snapshot()
      logger.info(
        "tracing flushed",
        metadata: [
          "complete": "\(flushed)", "spans_exported": "\(figures.spansExported)",
          "spans_dropped": "\(figures.spansDroppedQueueFull)",
          "spans_failed": "\(figures.spansFailedExport)",
        ])
    }
    processor.accessLog?.close()
    adminEndpoints.stop()
    logger.info("semantic-router stopped")
  }

  /// Log lines to stderr: swift-log's text lines, or JSON objects naming `serviceName`.
  private static func bootstrapLogging(format: LoggingSettings.Format, serviceName: String) {
    switch format {
    case .text: LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0, serviceName: serviceName) }
    }
  }

  /// Serves SIGHUP as a reload until SIGTERM or SIGINT arrives; returns that signal's name.
  private func waitForStop(reloader: ConfigReloader?, logger: Logger) -> String {
    while true {
      switch ProcessSignals.wait() {
      case .stop(let name):
        return name
      case .reload:
        if let reloader {
          reloader.requestReload(trigger: "SIGHUP")
        } else {
          logger.warning("SIGHUP ignored: serve runs without --config, nothing to reload")
        }
      }
    }
  }

  /// Reloads on changes of the config file (`--watch-config`); nil when off or when the
  /// directory cannot be watched (logged: SIGHUP and POST /reload still work).
  private func startWatching(with reloader: ConfigReloader, logger: Logger) -> FileChangeWatcher? {
    guard watchConfig, let config else { return nil }
    do {
      return try FileChangeWatcher(path: config, logger: logger) {
        reloader.requestReload(trigger: "file", onlyIfChanged: true)
      }
    } catch {
      logger.warning(
        "cannot watch the config file; reload with SIGHUP or POST /reload",
        metadata: ["path": "\(config)", "error": "\(error)"])
      return nil
    }
  }

  /// The listener's timeouts, connection cap and memory caps from `server:` (a zero duration
  /// is off).
  private static func limits(_ settings: ServerSettings) -> HTTP2ServerLimits {
    func enabled(_ duration: Duration) -> Duration? { duration > .zero ? duration : nil }
    var limits = HTTP2ServerLimits()
    limits.prefaceTimeout = enabled(settings.prefaceTimeout)
    limits.idleTimeout = enabled(settings.idleTimeout)
    limits.streamIdleTimeout = enabled(settings.streamIdleTimeout)
    limits.maxConnectionAge = enabled(settings.maxConnectionAge)
    limits.maxConnections = settings.maxConnections
    limits.maxConnectionInputBytes = settings.maxConnectionInputBytes
    limits.maxConnectionOutputBytes = settings.maxConnectionOutputBytes
    limits.outputStallTimeout = enabled(settings.outputStallTimeout)
    limits.memoryBudget = HTTP2MemoryBudget(maxBytes: settings.maxBufferedBytes)
    return limits
  }

  /// What `serve` runs: the processor factory, its name for logs, the tracing pipeline to
  /// flush on shutdown (nil when tracing is off) and the listener's limits (`server:`).
  private struct ProcessorSetup {
    var name: String
    var factory: ProcessorFactory
    var tracing: TracingPipeline?
    var server = ServerSettings()
    /// Reloads the config (nil in pass-through mode).
    var reloader: ConfigReloader?
    /// Writes the access log (nil when `observability.access_log` is off).
    var accessLog: AccessLogWriter?
  }

  /// The semantic router for `--config` (counted into `registry`; traced when
  /// `observability.tracing.enabled`, with the `OTEL_*` environment applied), else the
  /// pass-through processor.
  private func makeProcessor(
    loaded: Result<RouterSnapshot, any Error>?, registry: MetricsRegistry, logger: Logger
  ) throws -> ProcessorSetup {
    guard let config, let loaded else {
      return ProcessorSetup(name: "pass-through", factory: PassThroughProcessor.factory)
    }
    let snapshot: RouterSnapshot
    do {
      snapshot = try loaded.get()
    } catch {
      logger.critical("invalid router config, not starting", metadata: ["error": "\(error)"])
      throw ExitCode(2)
    }
    let configuration = snapshot.router.configuration
    logger.info(
      "router config loaded",
      metadata: [
        "file": "\(config)", "models": "\(configuration.models.count)",
        "categories": "\(configuration.categories.count)", "digest": "\(snapshot.identity.digest)",
      ])
    let reloader = try ConfigReloader(
      path: config, initial: snapshot, registry: registry, logger: logger)
    let snapshots = reloader.holder
    let metrics = RouterMetrics(registry: registry) { snapshots.current.router.cache }
    let inference = try makeInference(snapshot.router, metrics: metrics, logger: logger)
    registry.registerCollector { [ClassifierMetrics.modelLoaded(snapshots.current.router)] }
    let accessLog = try makeAccessLog(configuration.logging, registry: registry, logger: logger)
    let sharedCache = try makeSharedCache(
      configuration.semanticCache, registry: registry, logger: logger)
    let tracingConfiguration = configuration.tracing.tracingConfiguration()
    guard tracingConfiguration.enabled else {
      logger.info("tracing disabled")
      let factory = SemanticRouterProcessor.factory(
        snapshots: snapshots, logger: logger, sharedCache: sharedCache, inference: inference
      ) { _, _ in
        Self.observer(metrics: metrics, tracing: nil, accessLog: accessLog)
      }
      return ProcessorSetup(
        name: "semantic-router", factory: factory, server: configuration.server,
        reloader: reloader, accessLog: accessLog)
    }
    let pipeline: TracingPipeline
    do {
      // Logs the start-up line: "tracing enabled" with exporter, endpoint and sampler.
      pipeline = try TracingPipeline(configuration: tracingConfiguration, logger: logger)
    } catch {
      logger.critical("invalid tracing config, not starting", metadata: ["error": "\(error)"])
      throw ExitCode(2)
    }
    let tracing = RouterTracing(pipeline: pipeline)
    let factory = SemanticRouterProcessor.factory(
      snapshots: snapshots, logger: logger, sharedCache: sharedCache, inference: inference
    ) { context, identity in
      Self.observer(
        metrics: metrics, tracing: tracing.makeObserver(context, configuration: identity),
        accessLog: accessLog)
    }
    return ProcessorSetup(
      name: "semantic-router", factory: factory, tracing: pipeline, server: configuration.server,
      reloader: reloader, accessLog: accessLog)
  }

  /// One stream's observer: its spans (when traced), its metrics and its access-log line (when
  /// on, naming the router span the tracing observer made).
  private static func observer(
    metrics: RouterMetrics, tracing: (any RequestObserver)?, accessLog: AccessLogWriter?
  ) -> any RequestObserver {
    var observers: [any RequestObserver] = [metrics.makeObserver()]
    if let tracing { observers.insert(tracing, at: 0) }
    if let accessLog {
      observers.append(
        AccessLogRequestObserver(sink: accessLog, correlation: { tracing?.logCorrelation }))
    }
    return observers.count == 1 ? observers[0] : CompositeRequestObserver(observers)
  }

  /// The access log's writer when `observability.access_log.enabled` (exit 2 when its file
  /// cannot be opened).
  private func makeAccessLog(
    _ settings: LoggingSettings, registry: MetricsRegistry, logger: Logger
  ) throws -> AccessLogWriter? {
    guard settings.accessLogEnabled else { return nil }
    do {
      let writer = try AccessLogWriter(
        path: settings.accessLogPath, maxQueuedLines: settings.accessLogMaxQueuedLines)
      writer.register(in: registry)
      logger.info("access log enabled", metadata: ["path": "\(settings.accessLogPath)"])
      return writer
    } catch {
      logger.critical("cannot open the access log, not starting", metadata: ["error": "\(error)"])
      throw ExitCode(2)
    }
  }

  /// The inference pool (`classifier.inference_threads` and `queue_capacity`, read at start:
  /// a reload that changes them needs a restart), made whatever the classifier type so a
  /// reload may switch to `embedding`. With `type: embedding` and a model that did not load,
  /// `on_overload: reject` stops the router (exit 2); `lexical` starts it on the lexical
  /// classifier with an error log (and `semantic_router_classifier_model_loaded` 0).
  private func makeInference(
    _ router: SemanticRouter, metrics: RouterMetrics, logger: Logger
  ) throws -> InferenceRunner {
    let settings = router.configuration.classifier
    if settings.kind == .embedding {
      if let model = router.embeddingClassifier {
        var source = "examples_cache"
        if case .embedded(let reason) = model.examplesSource { source = "embedded (\(reason))" }
        logger.info(
          "embedding classifier loaded",
          metadata: [
            "model": "\(model.modelName)", "examples": "\(model.exampleCount)",
            "example_vectors": "\(source)",
            "cascade_confidence": "\(settings.cascadeConfidence)",
          ])
      } else {
        let error = router.embeddingLoadError ?? "unknown"
        guard settings.onOverload == .lexical else {
          logger.critical(
            "the classifier model did not load and on_overload is reject, not starting",
            metadata: ["model_path": "\(settings.modelPath ?? "")", "error": "\(error)"])
          throw ExitCode(2)
        }
        logger.error(
          "THE CLASSIFIER MODEL DID NOT LOAD: classifying with the lexical classifier only (on_overload: lexical)",
          metadata: ["model_path": "\(settings.modelPath ?? "")", "error": "\(error)"])
      }
    }
    let pool = InferencePool(
      threads: settings.inferenceThreads, queueCapacity: settings.queueCapacity,
      metrics: metrics.classifier)
    return InferenceRunner(pool: pool) {
      guard let loop = EventLoop.current else { return nil }
      return { task in loop.execute(task) }
    }
  }

  /// The per-loop Redis caches when the config starts with `backend: redis`, even with the
  /// cache disabled, so a reload may enable it (backend and address apply at start; a reload
  /// keeps them). Clients connect on a loop's first lookup.
  private func makeSharedCache(
    _ settings: SemanticCacheSettings, registry: MetricsRegistry, logger: Logger
  ) throws -> SharedCacheProvider? {
    guard settings.backend == .redis, let redis = settings.redis else {
      return nil
    }
    do {
      let pool = try RedisCachePool(
        settings: redis, environment: ProcessInfo.processInfo.environment, registry: registry,
        logger: logger)
      logger.info(
        "semantic cache shared in Redis",
        metadata: [
          "address": "\(redis.host):\(redis.port)", "db": "\(redis.database)",
          "key_prefix": "\(redis.keyPrefix)", "timeout_ms": "\(redis.timeoutMilliseconds)",
        ])
      return pool.provider
    } catch {
      logger.critical(
        "cannot set up the Redis cache, not starting", metadata: ["error": "\(error)"])
      throw ExitCode(2)
    }
  }
}
