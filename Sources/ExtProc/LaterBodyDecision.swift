/// A body decision a processor gives after its `process…Body` call returned: the processor
/// returns `.later(decision)` and calls `resolve` once, on the stream's loop thread, when it
/// knows the answer (e.g. when a cache lookup over the network replied).
///
/// Until then the stream's later messages wait, so answers still go out in order. Resolving
/// after the stream ended does nothing; never resolving leaves Envoy to its `message_timeout`.
public final class LaterBodyDecision: @unchecked Sendable, Equatable {
  // @unchecked Sendable: created, resolved and read on the stream's loop thread only; it is
  // Sendable only so `BodyDecision` stays Sendable.
  private var decision: BodyDecision?
  private var onResolve: ((BodyDecision) -> Void)?

  public init() {}

  /// Gives the decision; only the first call counts.
  public func resolve(_ decision: BodyDecision) {
    guard self.decision == nil else { return }
    self.decision = decision
    if let onResolve {
      self.onResolve = nil
      onResolve(decision)
    }
  }

  /// Calls `body` with the decision once there is one (at once if it is already given). One
  /// observer: the stream's handler (or a test driving the processor without one).
  public func whenResolved(_ body: @escaping (BodyDecision) -> Void) {
    if let decision {
      body(decision)
    } else {
      onResolve = body
    }
  }

  public static func == (lhs: LaterBodyDecision, rhs: LaterBodyDecision) -> Bool { lhs === rhs }
}
