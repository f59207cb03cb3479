import GRPC

#if canImport(Glibc)
  import Glibc
#endif

/// When and how long OTLP exporters wait before sending a batch again.
///
/// [OTLP spec, "Failures"](https://opentelemetry.io/docs/specs/otlp/#failures): OTLP/HTTP retries
/// only 429, 502, 503 and 504 (honouring `Retry-After`), OTLP/gRPC only CANCELLED,
/// DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS; a partial success is never
/// retried. Connection failures are retried too (the collector may be restarting). Waits use
/// exponential backoff with full jitter, and never run past the export deadline; they are spent
/// on an `ExportClock` (blocking the batch processor's export thread, which is right: it has
/// nothing else to do meanwhile).
public struct OTLPRetryPolicy: Sendable, Hashable {
  /// Most attempts per export, the first included.
  public var maxAttempts: Int
  /// Upper bound of the first backoff.
  public var initialBackoff: Duration
  /// Cap on the backoff bound.
  public var maxBackoff: Duration
  /// Growth of the bound per attempt.
  public var backoffMultiplier: Double

  public init(
    maxAttempts: Int = 5, initialBackoff: Duration = .seconds(1), maxBackoff: Duration = .seconds(5),
    backoffMultiplier: Double = 1.5
  ) {
    self.maxAttempts = maxAttempts
    self.initialBackoff = initialBackoff
    self.maxBackoff = maxBackoff
    self.backoffMultiplier = backoffMultiplier
  }

  /// HTTP status codes worth retrying.
  public static func isRetryable(httpStatus: Int) -> Bool {
    httpStatus == 429 || httpStatus == 502 || httpStatus == 503 || httpStatus == 504
  }

  /// gRPC status codes worth retrying.
  public static func isRetryable(grpcStatus: GRPCStatusCode) -> Bool {
    switch grpcStatus {
    case .cancelled, .deadlineExceeded, .aborted, .outOfRange, .unavailable, .dataLoss: true
    default: false
    }
  }

  /// What one attempt came to.
  public enum Attempt: Sendable, Hashable {
    case success
    /// Worth another try, after `retryAfter` if the server said so.
    case retryable(SpanExportFailure, retryAfter: Duration?)
    /// Final failure.
    case failed(SpanExportFailure)
  }

  /// Runs `attempt` until it succeeds, fails for good, the attempts run out or the next wait
  /// would pass `deadline`, waiting on `clock` between attempts. A signal on `stop` ends a wait
  /// early; once `isStopped()` holds (a shutdown), no attempt starts and a failed one is not
  /// retried: the export fails as `.shutdown`.
  public func run(
    deadline: ContinuousClock.Instant, clock: any ExportClock, stop: ExportWakeup = ExportWakeup(),
    isStopped: () -> Bool = { false }, _ attempt: () -> Attempt
  ) -> SpanExportResult {
    let stopped = SpanExportResult.failure(SpanExportFailure(.shutdown, "exporter shut down"))
    var number = 1
    while true {
      guard !isStopped() else { return stopped }
      let failure: SpanExportFailure
      let retryAfter: Duration?
      switch attempt() {
      case .success: return .success
      case .failed(let f): return isStopped() ? stopped : .failure(f)
      case .retryable(let f, let after):
        failure = f
        retryAfter = after
      }
      guard !isStopped() else { return stopped }
      guard number < maxAttempts else { return .failure(failure) }
      let wait = retryAfter ?? jitteredBackoff(beforeRetry: number)
      let retryAt = clock.now.advanced(by: wait)
      guard retryAt < deadline else { return .failure(failure) }
      clock.wait(until: retryAt, wakingOn: stop)
      number += 1
    }
  }

  /// A random wait in [0, min(maxBackoff, initialBackoff × multiplier^(retry-1))].
  public func jitteredBackoff(beforeRetry retry: Int) -> Duration {
    let initial = Self.seconds(initialBackoff)
    let bound = min(Self.seconds(maxBackoff), initial * pow(backoffMultiplier, Double(retry - 1)))
    return .nanoseconds(Int64(Double.random(in: 0...max(bound, 0)) * 1e9))
  }

  /// Parses `Retry-After`: delta-seconds or an IMF-fixdate (RFC 9110 §10.2.3), relative to
  /// `nowUnixSeconds`. Nil when absent or unreadable.
  public static func retryAfter(_ value: String?, nowUnixSeconds: Int) -> Duration? {
    guard let value = value?.trimmingSpaces(), !value.isEmpty else { return nil }
    if let seconds = Int(value) { return seconds >= 0 ? .seconds(seconds) : nil }
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    let parts = value.split(separator: " ")
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]),
      let month = months.firstIndex(of: String(parts[2])), let year = Int(parts[3])
    else { return nil }
    let clock = parts[4].split(separator: ":").compactMap { Int($0) }
    guard clock.count == 3 else { return nil }
    let target = unixSeconds(
      year: year, month: month + 1, day: day, hour: clock[0], minute: clock[1], second: clock[2])
    return .seconds(max(target - nowUnixSeconds, 0))
  }

  /// Days-from-civil (proleptic Gregorian, UTC).
  private static func unixSeconds(
    year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
  ) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    let days = era * 146_097 + doe - 719_468
    return days * 86_400 + hour * 3_600 + minute * 60 + second
  }

  static func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}
