/// Reads and writes the W3C `traceparent`, `tracestate` and `baggage` headers.
///
/// Implements the receiving and sending steps of
/// [W3C Trace Context §4.3](https://www.w3.org/TR/trace-context/#processing-model): an invalid
/// (or repeated) `traceparent` means a new trace and `tracestate` is then ignored; an invalid
/// `tracestate` is dropped on its own. `baggage` is independent and is passed on as parsed.
public enum TraceContextPropagator {
  /// Header names, lower-case as HTTP/2 and Envoy carry them.
  public static let traceparentHeader = "traceparent"
  public static let tracestateHeader = "tracestate"
  public static let baggageHeader = "baggage"

  /// The result of reading a request's headers.
  public struct Extracted: Sendable, Hashable {
    /// The caller's span (remote), or nil when there was no valid `traceparent`.
    public var parent: SpanContext?
    /// The baggage to pass on.
    public var baggage: Baggage
    /// Why `traceparent` was rejected, if it was present and invalid.
    public var traceparentError: TraceContextParseError?
    /// Why `tracestate` was dropped, if it was present and invalid.
    public var tracestateError: TraceContextParseError?

    public init(
      parent: SpanContext?, baggage: Baggage = Baggage(),
      traceparentError: TraceContextParseError? = nil,
      tracestateError: TraceContextParseError? = nil
    ) {
      self.parent = parent
      self.baggage = baggage
      self.traceparentError = traceparentError
      self.tracestateError = tracestateError
    }
  }

  /// Reads the parent context from all values of each header (in order received).
  public static func extract(
    traceparent: [String], tracestate: [String] = [], baggage: [String] = []
  ) -> Extracted {
    let parsedBaggage = baggage.isEmpty ? Baggage() : Baggage.parse(baggage.joined(separator: ","))
    guard let first = traceparent.first else { return Extracted(parent: nil, baggage: parsedBaggage) }
    guard traceparent.count == 1 else {
      return Extracted(
        parent: nil, baggage: parsedBaggage,
        traceparentError: TraceContextParseError(.multipleTraceParentHeaders))
    }
    let parsed: TraceParent
    do {
      parsed = try TraceParent.parse(first)
    } catch {
      return Extracted(parent: nil, baggage: parsedBaggage, traceparentError: error)
    }
    var state = TraceState()
    var stateError: TraceContextParseError?
    if !tracestate.isEmpty {
      do {
        state = try TraceState.parse(tracestate.joined(separator: ","))
      } catch {
        stateError = error
      }
    }
    let parent = SpanContext(
      traceID: parsed.traceID, spanID: parsed.parentID, traceFlags: parsed.flags,
      traceState: state, isRemote: true)
    return Extracted(parent: parent, baggage: parsedBaggage, tracestateError: stateError)
  }

  /// The headers that carry `context` (and `baggage`) to the next hop: `traceparent` always for
  /// a valid context, `tracestate` and `baggage` only when non-empty.
  public static func inject(
    _ context: SpanContext, baggage: Baggage = Baggage()
  ) -> [(name: String, value: String)] {
    guard context.isValid else { return [] }
    var headers: [(name: String, value: String)] = [(traceparentHeader, context.traceparent)]
    if !context.traceState.isEmpty {
      headers.append((tracestateHeader, context.traceState.headerValue))
    }
    if !baggage.isEmpty { headers.append((baggageHeader, baggage.headerValue)) }
    return headers
  }
}
