/// Why a `traceparent` or `tracestate` header was rejected.
///
/// Per the W3C processing model an invalid `traceparent` starts a new trace and an invalid
/// `tracestate` is dropped; the reason is for logs and tests.
public struct TraceContextParseError: Error, Sendable, Hashable {
  /// What was wrong with the header.
  public enum Reason: Sendable, Hashable {
    /// `traceparent` is shorter than 55 characters, longer for version 00, or a future version
    /// is not followed by `-` after its first 55 characters.
    case invalidLength
    /// The version is not two lower-case hex digits, or is the forbidden `ff`.
    case invalidVersion
    /// A field separator is not `-`.
    case invalidDelimiter
    /// A field holds something other than lower-case hex digits.
    case invalidCharacter
    /// The trace id is all zeros.
    case zeroTraceID
    /// The parent id is all zeros.
    case zeroSpanID
    /// More than one `traceparent` header.
    case multipleTraceParentHeaders
    /// A `tracestate` list member has no `=`.
    case invalidTraceStateMember
    /// A `tracestate` key does not match the key grammar.
    case invalidTraceStateKey
    /// A `tracestate` value does not match the value grammar.
    case invalidTraceStateValue
    /// A `tracestate` key appears twice.
    case duplicateTraceStateKey
    /// More than 32 `tracestate` list members.
    case tooManyTraceStateMembers
  }

  /// What was wrong.
  public var reason: Reason

  public init(_ reason: Reason) {
    self.reason = reason
  }
}
