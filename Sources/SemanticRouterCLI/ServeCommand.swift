import ArgumentParser
import ExtProc
import GRPC
import Logging
import Router

/// `semantic-router serve`: the ext_proc gRPC server Envoy talks to.
struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve Envoy's ext_proc filter (and gRPC health) over h2c."
  )

  @Option(help: "Router config YAML; without it every request passes through unchanged.")
  var config: String?

  @Option(help: "Address to listen on for ext_proc and health, HOST:PORT.")
  var listen = HostAndPort(host: "0.0.0.0", port: 50051)

  @Option(help: "Event loop threads (default: one per core).")
  var threads: Int?

  @Option(help: "Seconds open streams get to finish after SIGTERM/SIGINT.")
  var drainTimeout: Double = 15

  @Option(help: "Largest gRPC message accepted, in bytes.")
  var maxMessageBytes: Int = 4 << 20

  func validate() throws {
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    guard drainTimeout >= 0 else { throw ValidationError("--drain-timeout must not be negative") }
  }

  func run() throws {
    ShutdownSignals.block()
    LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    let logger = Logger(label: "semantic-router")

    let processor = try makeProcessorFactory(logger: logger)
    var configuration = GRPCServer.Configuration(
      host: listen.host, port: listen.port, maxReceiveMessageSize: maxMessageBytes)
    if let threads { configuration.threads = threads }
    let server = GRPCServer(configuration: configuration, logger: logger)
    server.register(
      path: ExtProcService.methodPath,
      factory: ExtProcService.handlerFactory(processorFactory: processor.factory))
    try server.start()
    logger.info("semantic-router ready", metadata: ["processor": "\(processor.name)"])

    let signal = ShutdownSignals.wait()
    logger.info("shutting down", metadata: ["signal": "\(signal)"])
    server.beginGracefulShutdown(drainTimeout: .milliseconds(Int(drainTimeout * 1000)))
    server.wait()
    logger.info("semantic-router stopped")
  }

  /// The semantic router for `--config`, else the pass-through processor.
  private func makeProcessorFactory(logger: Logger) throws -> (name: String, factory: ProcessorFactory) {
    guard let config else { return ("pass-through", PassThroughProcessor.factory) }
    let configuration: RouterConfiguration
    do {
      configuration = try RouterConfiguration.load(path: config)
    } catch {
      logger.critical("invalid router config, not starting", metadata: ["error": "\(error)"])
      throw ExitCode(2)
    }
    let router = SemanticRouter(configuration: configuration)
    logger.info(
      "router config loaded",
      metadata: [
        "file": "\(config)", "models": "\(configuration.models.count)",
        "categories": "\(configuration.categories.count)",
      ])
    return ("semantic-router", SemanticRouterProcessor.factory(router: router, logger: logger))
  }
}
