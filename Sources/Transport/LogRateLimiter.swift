public import Logging
import Synchronization

/// A rate limit for log lines that peers cause (failed streams, protocol errors, refused
/// connections, a collector that cannot be reached), so a hostile or broken peer cannot flood
/// the log or stall loop threads on it.
///
/// Each kind (a short fixed key such as `"extproc.stream_failed"`) may log `linesPerInterval`
/// lines per `interval`; later lines of that kind in the same interval are dropped and counted,
/// and the next line that passes carries `suppressed=<count>`. A dropped line costs one lock and
/// one dictionary lookup: its message and metadata are never built. Safe from any thread.
public final class LogRateLimiter: Sendable {
  /// The one limiter the layers that log peer behaviour share; `/metrics` reads its counts.
  public static let shared = LogRateLimiter()

  /// One kind's current interval.
  private struct Window {
    var start: UInt64
    var emitted: Int
    /// Dropped since the last line that passed.
    var pending: UInt64
    /// Dropped since the process started.
    var total: UInt64
  }

  /// Lines of one kind allowed per interval.
  public let linesPerInterval: Int
  private let intervalNanoseconds: UInt64
  private let now: @Sendable () -> UInt64
  private let windows = Mutex<[String: Window]>([:])

  /// A limiter on the monotonic clock; by default one line per kind every 10 seconds.
  public convenience init(linesPerInterval: Int = 1, interval: Duration = .seconds(10)) {
    self.init(
      linesPerInterval: linesPerInterval, interval: interval,
      now: { Syscall.monotonicNanoseconds() })
  }

  /// A limiter on the clock `now` (nanoseconds, never decreasing); tests inject one.
  package init(
    linesPerInterval: Int, interval: Duration, now: @escaping @Sendable () -> UInt64
  ) {
    precondition(linesPerInterval > 0, "a kind must be allowed at least one line")
    self.linesPerInterval = linesPerInterval
    let (seconds, attoseconds) = interval.components
    intervalNanoseconds =
      UInt64(clamping: max(seconds, 0)) &* 1_000_000_000
      &+ UInt64(max(attoseconds, 0) / 1_000_000_000)
    self.now = now
  }

  /// Logs the line when `kind` still has room in its interval, with `suppressed=<count>` added
  /// when lines of that kind were dropped since its last line; else drops and counts it. A line
  /// below the logger's level is neither logged nor counted.
  public func log(
    _ level: Logger.Level, kind: String, to logger: Logger,
    _ message: @autoclosure () -> Logger.Message,
    metadata: @autoclosure () -> Logger.Metadata? = nil,
    file: String = #fileID, function: String = #function, line: UInt = #line
  ) {
    guard logger.logLevel <= level, let suppressed = admit(kind: kind) else { return }
    var lineMetadata = metadata()
    if suppressed > 0 {
      lineMetadata = (lineMetadata ?? [:]).merging(["suppressed": "\(suppressed)"]) { $1 }
    }
    logger.log(
      level: level, message(), metadata: lineMetadata, file: file, function: function,
      line: line)
  }

  /// Lines dropped since the process started, by kind (sorted by kind), for `/metrics`.
  public func suppressedCounts() -> [(kind: String, count: UInt64)] {
    windows.withLock { windows in
      windows.map { (kind: $0.key, count: $0.value.total) }
    }.sorted { $0.kind < $1.kind }
  }

  /// Decides one line of `kind`: nil when it is dropped (and counted), else how many lines of
  /// that kind were dropped since the last one that passed.
  package func admit(kind: String) -> UInt64? {
    let time = now()
    return windows.withLock { windows -> UInt64? in
      guard var window = windows[kind] else {
        windows[kind] = Window(start: time, emitted: 1, pending: 0, total: 0)
        return 0
      }
      defer { windows[kind] = window }
      if time &- window.start >= intervalNanoseconds {
        window.start = time
        window.emitted = 0
      }
      guard window.emitted < linesPerInterval else {
        window.pending += 1
        window.total += 1
        return nil
      }
      window.emitted += 1
      let pending = window.pending
      window.pending = 0
      return pending
    }
  }
}
