import Logging
import Synchronization
import Testing
import Transport

@Suite("LogRateLimiter")
struct LogRateLimiterTests {
  /// A clock the test moves by hand.
  final class ManualClock: Sendable {
    let nanoseconds = Atomic<UInt64>(1_000)
    func advance(_ duration: Duration) {
      let seconds = UInt64(duration.components.seconds)
      nanoseconds.wrappingAdd(seconds * 1_000_000_000, ordering: .relaxed)
    }
  }

  func limiter(lines: Int, clock: ManualClock) -> LogRateLimiter {
    LogRateLimiter(linesPerInterval: lines, interval: .seconds(10)) {
      clock.nanoseconds.load(ordering: .relaxed)
    }
  }

  @Test("N lines pass in an interval; the rest are dropped and counted")
  func dropsPastTheLimit() {
    let clock = ManualClock()
    let limiter = limiter(lines: 3, clock: clock)
    let decisions = (0..<10).map { _ in limiter.admit(kind: "peer") }
    #expect(decisions == [0, 0, 0, nil, nil, nil, nil, nil, nil, nil])
    #expect(limiter.suppressedCounts().map(\.kind) == ["peer"])
    #expect(limiter.suppressedCounts().map(\.count) == [7])
  }

  @Test("the next interval's first line carries the count dropped before it, once")
  func nextIntervalCarriesTheCount() {
    let clock = ManualClock()
    let limiter = limiter(lines: 1, clock: clock)
    #expect(limiter.admit(kind: "peer") == 0)
    for _ in 0..<5 { #expect(limiter.admit(kind: "peer") == nil) }
    clock.advance(.seconds(9))
    #expect(limiter.admit(kind: "peer") == nil)  // still the same interval
    clock.advance(.seconds(1))
    #expect(limiter.admit(kind: "peer") == 6)
    #expect(limiter.admit(kind: "peer") == nil)
    clock.advance(.seconds(10))
    #expect(limiter.admit(kind: "peer") == 1)
    clock.advance(.seconds(10))
    #expect(limiter.admit(kind: "peer") == 0)
    #expect(limiter.suppressedCounts().map(\.count) == [7])
  }

  @Test("kinds are limited apart")
  func kindsAreIndependent() {
    let limiter = limiter(lines: 1, clock: ManualClock())
    #expect(limiter.admit(kind: "a") == 0)
    #expect(limiter.admit(kind: "b") == 0)
    #expect(limiter.admit(kind: "a") == nil)
    #expect(limiter.suppressedCounts().map(\.kind) == ["a", "b"])
    #expect(limiter.suppressedCounts().map(\.count) == [1, 0])
  }

  @Test("a passing line is logged with suppressed=<count>; dropped ones are never built")
  func logsThroughTheLogger() {
    let clock = ManualClock()
    let limiter = limiter(lines: 1, clock: clock)
    let lines = RecordedLines()
    let logger = Logger(label: "test") { _ in RecordingHandler(lines: lines) }
    let built = Atomic<Int>(0)
    func message(_ text: String) -> Logger.Message {
      built.wrappingAdd(1, ordering: .relaxed)
      return "\(text)"
    }
    limiter.log(.warning, kind: "peer", to: logger, message("first"), metadata: ["peer": "x"])
    for _ in 0..<4 { limiter.log(.warning, kind: "peer", to: logger, message("dropped")) }
    clock.advance(.seconds(10))
    limiter.log(.warning, kind: "peer", to: logger, message("again"), metadata: ["peer": "y"])
    #expect(built.load(ordering: .relaxed) == 2)
    let recorded = lines.all
    #expect(recorded.map(\.message) == ["first", "again"])
    #expect(recorded[0].metadata == ["peer": "x"])
    #expect(recorded[1].metadata == ["peer": "y", "suppressed": "4"])
  }

  @Test("a line below the logger's level is neither logged nor counted")
  func belowLevelIsNotCounted() {
    let limiter = limiter(lines: 1, clock: ManualClock())
    var logger = Logger(label: "test") { _ in RecordingHandler(lines: RecordedLines()) }
    logger.logLevel = .warning
    for _ in 0..<3 { limiter.log(.debug, kind: "quiet", to: logger, "not shown") }
    #expect(limiter.suppressedCounts().isEmpty)
  }

  /// The lines a `RecordingHandler` received.
  final class RecordedLines: Sendable {
    let storage = Mutex<[(message: String, metadata: [String: String])]>([])
    var all: [(message: String, metadata: [String: String])] { storage.withLock { $0 } }
  }

  /// A log handler that keeps each line's message and metadata (as strings).
  struct RecordingHandler: LogHandler {
    let lines: RecordedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { metadata[key] }
      set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
      let strings = (event.metadata ?? [:]).mapValues { "\($0)" }
      lines.storage.withLock { $0.append((message: "\(event.message)", metadata: strings)) }
    }
  }
}
