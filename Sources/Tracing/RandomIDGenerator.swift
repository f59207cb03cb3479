import Synchronization

/// Generates trace and span ids: SplitMix64 over one atomic counter, seeded from the system.
///
/// Each draw is one relaxed atomic add plus a few multiplies, lock-free from any thread; the
/// seed comes from the OS random source (`SystemRandomNumberGenerator`, i.e. `getrandom`).
/// Trace ids are random in all 16 bytes, so spans we start as roots carry the W3C `random` flag.
/// Not cryptographically secure, which trace ids need not be.
public final class RandomIDGenerator: Sendable {
  private let state: Atomic<UInt64>

  /// SplitMix64's increment (the golden ratio in 64 bits).
  private static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

  /// A generator seeded from the system's random source.
  public convenience init() {
    var system = SystemRandomNumberGenerator()
    self.init(seed: system.next())
  }

  /// A generator with a fixed seed (tests).
  public init(seed: UInt64) {
    state = Atomic(seed)
  }

  /// The next 64 random bits.
  @inline(__always)
  public func next() -> UInt64 {
    var z = state.wrappingAdd(Self.gamma, ordering: .relaxed).newValue
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A new valid (non-zero) trace id.
  public func traceID() -> TraceID {
    while true {
      let id = TraceID(high: next(), low: next())
      if id.isValid { return id }
    }
  }

  /// A new valid (non-zero) span id.
  public func spanID() -> SpanID {
    while true {
      let id = SpanID(next())
      if id.isValid { return id }
    }
  }
}
