import Synchronization

/// What an `HTTP2Server`'s limits did, for `/metrics`: connections closed by a limit (by
/// reason), streams reset for idling, and the connections open now. Read from any thread.
public final class HTTP2ServerCounters: Sendable {
  /// Why the server closed a connection on its own.
  public enum CloseReason: String, CaseIterable, Sendable {
    /// The HTTP/2 preface and first SETTINGS did not arrive within `prefaceTimeout`.
    case prefaceTimeout = "preface_timeout"
    /// No open stream for `idleTimeout` (GOAWAY, then closed).
    case idleTimeout = "idle_timeout"
    /// Older than `maxConnectionAge` (GOAWAY, then closed once its streams finished).
    case maxAge = "max_age"
    /// Accepted past `maxConnections` and closed at once.
    case maxConnections = "max_connections"
    /// Accepted through the reserve descriptor when the process was out of descriptors
    /// (EMFILE/ENFILE), and closed at once.
    case descriptorsExhausted = "emfile"
    /// The TLS handshake failed or timed out (e.g. no client certificate under mutual TLS).
    case tlsHandshake = "tls_handshake"
    /// The peer broke the HTTP/2 protocol: a GOAWAY with an error code went out, or nghttp2
    /// refused its bytes outright (a bad preface, a frame it cannot continue after).
    case protocolError = "protocol_error"
    /// The peer sent control frames (SETTINGS, PING, RST_STREAM) faster than it read their
    /// answers, until nghttp2's outbound queue limit ended the session.
    case flood = "flood"
    /// Its queued output stayed past `maxConnectionOutputBytes` for `outputStallTimeout`.
    case outputStalled = "output_stalled"
  }

  /// Why the server refused a new stream (RST_STREAM REFUSED_STREAM).
  public enum RefuseReason: String, CaseIterable, Sendable {
    /// The connection holds `maxConnectionInputBytes` of unconsumed request data.
    case inputFull = "input_full"
    /// The connection holds `maxConnectionOutputBytes` of unsent response data.
    case outputFull = "output_full"
    /// The process-wide `memoryBudget` is spent.
    case memoryBudget = "memory_budget"
  }

  private let closed = Mutex([UInt64](repeating: 0, count: CloseReason.allCases.count))
  private let refused = Mutex([UInt64](repeating: 0, count: RefuseReason.allCases.count))
  private let idleStreams = Atomic<UInt64>(0)
  private let readPauses = Atomic<UInt64>(0)
  private let open = Atomic<Int>(0)

  public init() {}

  /// Connections closed for `reason` so far.
  public func closed(_ reason: CloseReason) -> UInt64 {
    closed.withLock { $0[Self.index(reason)] }
  }

  /// Streams refused for `reason` so far.
  public func refused(_ reason: RefuseReason) -> UInt64 {
    refused.withLock { $0[RefuseReason.allCases.firstIndex(of: reason)!] }
  }

  /// Streams reset with CANCEL after `streamIdleTimeout` without a frame.
  public var streamsResetForIdling: UInt64 { idleStreams.load(ordering: .relaxed) }

  /// Times a connection stopped reading because its queued output reached
  /// `maxConnectionOutputBytes` (it reads again once the peer takes enough).
  public var readsPausedForOutput: UInt64 { readPauses.load(ordering: .relaxed) }

  /// Connections the server holds now.
  public var openConnections: Int { open.load(ordering: .relaxed) }

  func recordClose(_ reason: CloseReason) {
    closed.withLock { $0[Self.index(reason)] &+= 1 }
  }

  func recordRefused(_ reason: RefuseReason) {
    refused.withLock { $0[RefuseReason.allCases.firstIndex(of: reason)!] &+= 1 }
  }

  func recordReadPause() {
    readPauses.wrappingAdd(1, ordering: .relaxed)
  }

  func recordIdleStreamReset() {
    idleStreams.wrappingAdd(1, ordering: .relaxed)
  }

  /// Counts a connection in if fewer than `limit` are open; false when it must be refused.
  func admitConnection(limit: Int) -> Bool {
    var current = open.load(ordering: .relaxed)
    while current < limit {
      let (exchanged, original) = open.compareExchange(
        expected: current, desired: current + 1, ordering: .relaxed)
      if exchanged { return true }
      current = original
    }
    return false
  }

  func connectionClosed() {
    open.wrappingSubtract(1, ordering: .relaxed)
  }

  private static func index(_ reason: CloseReason) -> Int {
    CloseReason.allCases.firstIndex(of: reason)!
  }
}
