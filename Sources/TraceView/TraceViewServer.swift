import Dispatch
import GRPC
import Logging
import Synchronization

/// `semantic-router trace-view`: an OTLP/gRPC trace receiver that prints each finished trace as
/// an indented tree (see `TraceTreeFormatter`), and optionally appends every span to a JSON
/// lines file.
///
/// A trace counts as finished when none of its spans has arrived for `quietPeriod`; `flush()`
/// and `stop()` print whatever is still pending.
public final class TraceViewServer: Sendable {
  /// The OTLP/gRPC method this server implements.
  public static let exportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

  /// Where to listen, when to call a trace finished, where to write JSON.
  public struct Configuration: Sendable {
    public var host: String
    /// 4317 is the OTLP/gRPC port; 0 picks a free one (see `start()`).
    public var port: Int
    /// Time without new spans after which a trace is printed.
    public var quietPeriod: Duration
    /// If set, every received span is appended to this file as one JSON object per line.
    public var jsonPath: String?
    /// Spans held waiting for their trace's quiet period at most; past it the traces quiet
    /// longest are printed early. As many again may wait for a slow output; past that, traces
    /// printed early are dropped, counted in a warning at `stop()`.
    public var maxPendingSpans: Int

    public init(
      host: String = "0.0.0.0", port: Int = 4317, quietPeriod: Duration = .seconds(2),
      jsonPath: String? = nil, maxPendingSpans: Int = defaultMaxPendingSpans
    ) {
      self.host = host
      self.port = port
      self.quietPeriod = quietPeriod
      self.jsonPath = jsonPath
      self.maxPendingSpans = maxPendingSpans
    }

    public static let defaultMaxPendingSpans = TraceCollector.defaultMaxPendingSpans
  }

  private enum Phase {
    case idle
    case running(CheckTimer)
    case stopped
  }

  public let configuration: Configuration
  private let grpc: GRPCServer
  private let sink: TraceViewSink
  private let phase = Mutex(Phase.idle)

  /// `output` receives one finished trace's tree at a time (lines joined by `\n`, no trailing
  /// newline), always from the same serial queue.
  public init(
    configuration: Configuration, logger: Logger = Logger(label: "semantic-router.trace-view"),
    output: @escaping @Sendable (String) -> Void
  ) {
    self.configuration = configuration
    sink = TraceViewSink(
      maxPendingSpans: configuration.maxPendingSpans, output: output, logger: logger)
    grpc = GRPCServer(
      configuration: GRPCServer.Configuration(
        host: configuration.host, port: configuration.port, threads: 1),
      logger: logger)
    let sink = self.sink
    grpc.register(path: Self.exportPath) { _ in
      OTLPTraceExportHandler { spans in sink.receive(spans) }
    }
  }

  /// The span intake, for tests that feed spans without a network.
  var sinkForTesting: TraceViewSink { sink }

  /// Spans received so far.
  public var receivedSpanCount: UInt64 { sink.receivedSpanCount }
  /// Trees printed so far.
  public var printedTraceCount: UInt64 { sink.printedTraceCount }

  /// Opens the JSON file, binds and starts serving; returns the bound port.
  @discardableResult
  public func start() throws -> Int {
    let canStart = phase.withLock { phase in
      if case .idle = phase { true } else { false }
    }
    precondition(canStart, "TraceViewServer.start() called twice or after stop()")
    if let path = configuration.jsonPath { try sink.openJSON(path: path) }
    do {
      try grpc.start()
    } catch {
      sink.closeJSON()
      throw error
    }
    let timer = DispatchSource.makeTimerSource(queue: sink.queue)
    let interval = Self.checkInterval(quietPeriod: configuration.quietPeriod)
    timer.schedule(deadline: .now() + interval, repeating: interval)
    let sink = self.sink
    let quietPeriod = configuration.quietPeriod
    timer.setEventHandler { sink.emitFinished(quietPeriod: quietPeriod) }
    timer.resume()
    phase.withLock { $0 = .running(CheckTimer(source: timer)) }
    return grpc.localAddress?.port ?? configuration.port
  }

  /// Prints every pending trace now, finished or not; returns once they were output.
  public func flush() {
    sink.queue.sync { sink.emitAll() }
  }

  /// Stops receiving (open calls get a second to finish), prints what is pending, closes the
  /// JSON file and says how many traces were dropped, if any. Blocks until done; repeated
  /// calls return at once.
  public func stop() {
    let timer = phase.withLock { phase -> CheckTimer?? in
      defer { phase = .stopped }
      switch phase {
      case .running(let timer): return .some(timer)
      case .idle: return .some(nil)
      case .stopped: return nil
      }
    }
    guard let timer else { return }
    grpc.beginGracefulShutdown(drainTimeout: .seconds(1))
    grpc.wait()
    timer?.source.cancel()
    flush()
    sink.closeJSON()
    sink.reportDropped()
  }

  /// How often pending traces are checked: a quarter of the quiet period, within 50-500 ms.
  private static func checkInterval(quietPeriod: Duration) -> DispatchTimeInterval {
    let (seconds, attoseconds) = (quietPeriod / 4).components
    let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
    return .milliseconds(Int(min(max(milliseconds, 50), 500)))
  }
}

/// The periodic check of pending traces.
private struct CheckTimer: @unchecked Sendable {
  // @unchecked Sendable: dispatch sources are thread-safe; it is only resumed and cancelled.
  let source: any DispatchSourceTimer
}
