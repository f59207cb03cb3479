/// The deadlines of one server connection's timeouts (`HTTP2ServerLimits`), as a value without
/// I/O: which limit is due at a moment, and when the connection must look again. Times are
/// `Syscall.monotonicNanoseconds` values.
///
/// The connection keeps one timer and never moves it earlier: each look schedules the next at
/// the earliest deadline, and at most the shortest of the idle timeouts away, so a deadline that
/// appears later (the last stream closed, or a first stream opened) is never earlier than the
/// look already scheduled. Streams and traffic cost no timer work.
struct HTTP2ConnectionDeadlines {
  /// A connection-wide limit that has passed.
  enum Due: Equatable {
    case prefaceTimeout
    case maxAge
    case idleTimeout
  }

  /// Nanoseconds a stream may go without a frame, if limited.
  let streamIdle: UInt64?
  private let prefaceDeadline: UInt64?
  private let ageDeadline: UInt64?
  private let idle: UInt64?
  /// The longest a newly appearing deadline can be away: the next look is never later.
  private let lookInterval: UInt64?
  private var prefaceReceived = false
  /// Since when the connection has had no open stream (nil while it has some).
  private var idleSince: UInt64?

  /// Deadlines for a connection accepted at `now`; `ageJitter` scales the maximum age (gRPC
  /// spreads it by ±10% so connections made together do not all go at once).
  init(limits: HTTP2ServerLimits, now: UInt64, ageJitter: Double = 1) {
    prefaceDeadline = limits.prefaceTimeout.map { now &+ Self.nanoseconds($0) }
    ageDeadline = limits.maxConnectionAge.map {
      now &+ UInt64((Double(Self.nanoseconds($0)) * ageJitter).rounded())
    }
    idle = limits.idleTimeout.map(Self.nanoseconds)
    streamIdle = limits.streamIdleTimeout.map(Self.nanoseconds)
    lookInterval = [idle, streamIdle].compactMap { $0 }.min()
    idleSince = now
  }

  /// Whether any limit applies (else the connection needs no timer).
  var isEmpty: Bool {
    prefaceDeadline == nil && ageDeadline == nil && idle == nil && streamIdle == nil
  }

  /// The preface and first SETTINGS arrived.
  mutating func prefaceArrived() {
    prefaceReceived = true
  }

  /// The connection went from no open stream to one.
  mutating func firstStreamOpened() {
    idleSince = nil
  }

  /// The connection's last open stream closed at `now`.
  mutating func lastStreamClosed(now: UInt64) {
    idleSince = now
  }

  /// The connection-wide limit due at `now`, if any; after a GOAWAY only the preface counts.
  func due(now: UInt64, goawaySent: Bool) -> Due? {
    if !prefaceReceived, let prefaceDeadline, now >= prefaceDeadline { return .prefaceTimeout }
    guard !goawaySent else { return nil }
    if let ageDeadline, now >= ageDeadline { return .maxAge }
    if let idle, let idleSince, now >= idleSince &+ idle { return .idleTimeout }
    return nil
  }

  /// When to look next, given the oldest last frame of an open stream; nil when nothing can
  /// come due any more.
  func nextLook(now: UInt64, goawaySent: Bool, oldestStreamActivity: UInt64?) -> UInt64? {
    var candidates: [UInt64] = []
    if !prefaceReceived, let prefaceDeadline { candidates.append(prefaceDeadline) }
    if !goawaySent {
      if let ageDeadline { candidates.append(ageDeadline) }
      if let idle, let idleSince { candidates.append(idleSince &+ idle) }
    }
    if let streamIdle, let oldestStreamActivity {
      candidates.append(oldestStreamActivity &+ streamIdle)
    }
    if let lookInterval { candidates.append(now &+ lookInterval) }
    return candidates.min()
  }

  static func nanoseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    guard seconds >= 0 else { return 0 }
    let whole = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
    return whole.overflow ? .max : whole.partialValue &+ UInt64(attoseconds / 1_000_000_000)
  }
}
