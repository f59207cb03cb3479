import ArgumentParser
import Glibc
import Logging
import TraceView

/// `semantic-router trace-view`: a local OTLP/gRPC receiver that prints each finished trace as a
/// tree, for trying the router without Jaeger or Tempo.
struct TraceViewCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "trace-view",
    abstract: "Receive OTLP/gRPC spans and print every finished trace as an indented tree."
  )

  @Option(help: "Address to receive OTLP/gRPC on, HOST:PORT.")
  var listen = HostAndPort(host: "0.0.0.0", port: 4317)

  @Option(help: "Also append every received span to this file, one JSON object per line.")
  var json: String?

  @Option(help: "Seconds without a new span before a trace counts as finished.")
  var quietSeconds: Double = 2

  @Option(
    help: "Spans held waiting for their trace to go quiet at most; past it the traces quiet longest are printed early (as many again may wait for a slow output; past that they are dropped, counted on stderr)."
  )
  var maxPendingSpans = TraceViewServer.Configuration.defaultMaxPendingSpans

  func validate() throws {
    guard maxPendingSpans > 0 else { throw ValidationError("--max-pending-spans must be positive") }
  }

  func run() throws {
    ProcessSignals.block()
    LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    let logger = Logger(label: "semantic-router.trace-view")
    let view = TraceViewServer(
      configuration: .init(
        host: listen.host, port: listen.port,
        quietPeriod: .milliseconds(Int(quietSeconds * 1000)), jsonPath: json,
        maxPendingSpans: maxPendingSpans),
      logger: logger,
      output: { tree in
        print(tree + "\n")
        fflush(nil)  // a pipe reader (make demo) sees each tree at once
      })
    let port = try view.start()
    logger.info("trace-view receiving OTLP/gRPC", metadata: ["address": "\(listen.host):\(port)"])
    _ = ProcessSignals.wait()  // SIGHUP stops it too, as it did by default
    view.stop()
  }
}
