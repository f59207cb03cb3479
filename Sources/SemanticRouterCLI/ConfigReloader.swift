import Foundation
import Logging
import Metrics
import Router
import Transport

/// Reloads `serve`'s router config from its file, on SIGHUP, `POST /reload` or a change of the
/// file, one reload at a time on a thread of its own (never an ext_proc loop).
///
/// A reload reads, validates and trains a whole new `RouterSnapshot`, then swaps it into the
/// holder: streams that start afterwards route with it, streams already open finish with the one
/// they started with. An invalid file is refused with its issues (as `validate` prints them) and
/// the running config stays. `server:`, `observability.tracing`, `semantic_cache.backend` and
/// `semantic_cache.redis` are read once at start: a reload that changes them logs a warning and
/// keeps the running values.
final class ConfigReloader: Sendable {
  /// What one reload did.
  struct Result: Sendable {
    enum Outcome: Sendable, Equatable {
      /// A new snapshot is in force.
      case reloaded
      /// The file could not be used; these are its issues. The running config stays.
      case invalid([String])
    }

    var trigger: String
    var outcome: Outcome
    /// The configuration in force after the reload.
    var identity: ConfigurationIdentity
    /// Sections the file changes that only a restart applies (kept as they were).
    var needsRestart: [String]
  }

  let holder: RouterSnapshotHolder
  private let path: String
  private let logger: Logger
  private let reloads: CounterFamily
  /// One loop thread, used as a serial queue: reloads run there in turn.
  private let worker: EventLoopGroup

  /// Serves `initial` (generation 1) and reloads from `path`; counts reloads in `registry`.
  init(path: String, initial: RouterSnapshot, registry: MetricsRegistry, logger: Logger) throws {
    self.path = path
    self.logger = logger
    holder = RouterSnapshotHolder(initial)
    worker = try EventLoopGroup(count: 1)
    reloads = registry.counter(
      "semantic_router_config_reloads",
      help: "Config reloads by result: reloaded, or invalid (the running config stayed).",
      labelNames: ["result"])
    // Both series from the start, so a first failure is a change an alert can see.
    for result in ["reloaded", "invalid"] { _ = reloads.labels(result) }
    let holder = self.holder
    registry.registerCollector {
      let identity = holder.current.identity
      return [
        .gauge(
          "semantic_router_config_generation",
          help: "The config generation in force: 1 at start, one more per reload that took.",
          value: Double(identity.generation)),
        MetricFamilySnapshot(
          name: "semantic_router_config_info",
          help: "The config in force: its generation and the digest of its file (always 1).",
          series: .gauge([
            LabelledSample(
              labels: [
                MetricLabel("generation", String(identity.generation)),
                MetricLabel("digest", identity.digest),
              ], value: 1)
          ])),
      ]
    }
  }

  /// Reads, validates and builds the snapshot `serve` starts with (the classifier trained).
  static func loadSnapshot(path: String) throws(RouterConfigurationError) -> RouterSnapshot {
    let (configuration, bytes) = try read(path: path)
    return RouterSnapshot(
      router: SemanticRouter(configuration: configuration),
      identity: ConfigurationIdentity(generation: 1, fileBytes: bytes))
  }

  /// The configuration the file at `path` holds, validated, and the file's bytes.
  private static func read(
    path: String
  ) throws(RouterConfigurationError) -> (RouterConfiguration, Data) {
    guard let bytes = FileManager.default.contents(atPath: path) else {
      let issue = ConfigurationIssue(
        path: "", line: nil, column: nil, message: "cannot read the file")
      throw RouterConfigurationError(source: path, issues: [issue])
    }
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    let configuration = try RouterConfiguration.parse(
      yaml: String(decoding: bytes, as: UTF8.self), source: path, baseDirectory: directory)
    return (configuration, bytes)
  }

  /// Queues a reload. `onlyIfChanged` (file events) skips it when the file's digest is the one
  /// in force; `completion` gets the result on the reload thread (not called when skipped).
  func requestReload(
    trigger: String, onlyIfChanged: Bool = false,
    completion: @escaping @Sendable (Result) -> Void = { _ in }
  ) {
    worker.loops[0].execute { [self] in
      if onlyIfChanged, !fileChanged() { return }
      completion(reload(trigger: trigger))
    }
  }

  /// Finishes the reload under way, if any, and stops the reload thread.
  func stop() {
    worker.stop()
    worker.join()
  }

  private func fileChanged() -> Bool {
    guard let bytes = FileManager.default.contents(atPath: path) else { return true }
    return ConfigurationIdentity(generation: 0, fileBytes: bytes).digest
      != holder.current.identity.digest
  }

  private func reload(trigger: String) -> Result {
    let running = holder.current
    let file: RouterConfiguration
    let bytes: Data
    do {
      (file, bytes) = try Self.read(path: path)
    } catch {
      let issues = error.issues.map { "\(error.source): \($0)" }
      reloads.labels("invalid").increment()
      logger.error(
        "config reload refused, the running config stays",
        metadata: [
          "trigger": "\(trigger)", "generation": "\(running.identity.generation)",
          "issues": "\(issues.joined(separator: "; "))",
        ])
      return Result(
        trigger: trigger, outcome: .invalid(issues), identity: running.identity, needsRestart: [])
    }
    // Read once at start: the running listener and exporter keep their settings.
    var configuration = file
    configuration.server = running.router.configuration.server
    configuration.tracing = running.router.configuration.tracing
    configuration.logging = running.router.configuration.logging
    // The Redis clients are made at start for the backend then in force.
    configuration.semanticCache.backend = running.router.configuration.semanticCache.backend
    configuration.semanticCache.redis = running.router.configuration.semanticCache.redis
    // The inference pool is made at start.
    configuration.classifier.inferenceThreads = running.router.configuration.classifier
      .inferenceThreads
    configuration.classifier.queueCapacity = running.router.configuration.classifier.queueCapacity
    var needsRestart: [String] = []
    if file.classifier != configuration.classifier {
      needsRestart.append("classifier.inference_threads and classifier.queue_capacity")
    }
    if file.server != configuration.server { needsRestart.append("server") }
    if file.tracing != configuration.tracing { needsRestart.append("observability.tracing") }
    if file.logging != configuration.logging {
      needsRestart.append("observability.logging/access_log")
    }
    if file.semanticCache.backend != configuration.semanticCache.backend
      || file.semanticCache.redis != configuration.semanticCache.redis
    {
      needsRestart.append("semantic_cache.backend and semantic_cache.redis")
    }
    if !needsRestart.isEmpty {
      logger.warning(
        "config reload: these sections apply only at restart; the running values stay",
        metadata: ["sections": "\(needsRestart.joined(separator: ", "))"])
    }
    let next = RouterSnapshot(
      router: SemanticRouter(configuration: configuration, reusingCacheOf: running.router),
      identity: ConfigurationIdentity(
        generation: running.identity.generation + 1, fileBytes: bytes))
    if let error = next.router.embeddingLoadError {
      logger.error(
        "config reload: THE CLASSIFIER MODEL DID NOT LOAD, classifying with the lexical classifier only",
        metadata: ["model_path": "\(configuration.classifier.modelPath ?? "")", "error": "\(error)"])
    }
    holder.replace(with: next)
    reloads.labels("reloaded").increment()
    logger.info(
      "config reloaded",
      metadata: [
        "trigger": "\(trigger)", "generation": "\(next.identity.generation)",
        "digest": "\(next.identity.digest)",
        "models": "\(next.router.configuration.models.count)",
        "categories": "\(next.router.configuration.categories.count)",
        "cache": "\(next.router.cache === running.router.cache ? "kept" : "new")",
      ])
    return Result(
      trigger: trigger, outcome: .reloaded, identity: next.identity, needsRestart: needsRestart)
  }
}
