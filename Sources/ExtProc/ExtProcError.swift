public import GRPC

/// Why an ext_proc stream is being closed with an error status: a message that cannot be decoded,
/// or one that breaks the protocol's order. Never a crash.
public struct ExtProcError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The kind of failure, which picks the gRPC status code.
  public enum Reason: Sendable, Equatable {
    /// The bytes are not a valid ProcessingRequest (INVALID_ARGUMENT).
    case malformedMessage
    /// The ProcessingRequest carries none of the known message kinds (INVALID_ARGUMENT).
    case missingMessageKind
    /// A message came after a later part of the exchange, or repeated a part that happens once
    /// (FAILED_PRECONDITION).
    case outOfOrder
    /// A message the exchange's state rules out, e.g. a second body message in BUFFERED mode or
    /// a body after `end_of_stream` (FAILED_PRECONDITION).
    case unexpectedMessage
    /// A message after an ImmediateResponse was sent (FAILED_PRECONDITION).
    case afterImmediateResponse
    /// A body mode this service does not implement, e.g. FULL_DUPLEX_STREAMED (UNIMPLEMENTED).
    case unsupportedBodyMode
    /// The processor broke its contract, e.g. resolved a later decision with `.later` (INTERNAL).
    case processorMisuse
  }

  public var reason: Reason
  /// A human-readable explanation, sent as `grpc-message`.
  public var message: String

  public init(_ reason: Reason, _ message: String) {
    self.reason = reason
    self.message = message
  }

  public var description: String { message }

  /// The status the stream is closed with.
  public var grpcStatus: GRPCStatus {
    switch reason {
    case .malformedMessage, .missingMessageKind:
      GRPCStatus(.invalidArgument, message)
    case .outOfOrder, .unexpectedMessage, .afterImmediateResponse:
      GRPCStatus(.failedPrecondition, message)
    case .unsupportedBodyMode:
      GRPCStatus(.unimplemented, message)
    case .processorMisuse:
      GRPCStatus(.internal, message)
    }
  }
}
