#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where span start and end times come from: Unix time in nanoseconds. Tests inject their own.
public protocol TracingClock: Sendable {
  /// Nanoseconds since the Unix epoch.
  func nowUnixNanos() -> UInt64
}

/// The real-time clock (`clock_gettime(CLOCK_REALTIME)`, a vDSO call, no syscall).
public struct SystemTracingClock: TracingClock {
  public init() {}

  @inline(__always)
  public func nowUnixNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
  }
}
