/// The seam between the gRPC layer and the services built on it (ext_proc, health).
///
/// A service registers a handler factory for a method path; the server creates one handler per
/// call and drives it on the call's connection loop thread. Handlers answer synchronously or
/// later, but always from that loop thread (`GRPCServerCall.execute` hops onto it).

/// One metadata entry (HTTP/2 header) of a call, lower-case name.
public struct GRPCMetadataField: Sendable, Equatable {
  public var name: String
  public var value: String

  public init(name: String, value: String) {
    self.name = name
    self.value = value
  }
}

/// Status codes from the gRPC spec (doc/statuscodes.md).
public enum GRPCStatusCode: UInt32, Sendable {
  case ok = 0
  case cancelled = 1
  case unknown = 2
  case invalidArgument = 3
  case deadlineExceeded = 4
  case notFound = 5
  case alreadyExists = 6
  case permissionDenied = 7
  case resourceExhausted = 8
  case failedPrecondition = 9
  case aborted = 10
  case outOfRange = 11
  case unimplemented = 12
  case `internal` = 13
  case unavailable = 14
  case dataLoss = 15
  case unauthenticated = 16
}

/// A call's final status, sent in the trailers as `grpc-status` and `grpc-message`.
public struct GRPCStatus: Sendable, Equatable, Error {
  public var code: GRPCStatusCode
  public var message: String

  public init(_ code: GRPCStatusCode, _ message: String = "") {
    self.code = code
    self.message = message
  }

  public static let ok = GRPCStatus(.ok)
}

/// The server side of one call, as a handler sees it. Loop-thread confined.
public protocol GRPCServerCall: AnyObject {
  /// The request metadata (HTTP/2 headers, pseudo-headers included), e.g. Envoy's `traceparent`.
  var requestMetadata: [GRPCMetadataField] { get }
  /// The peer's address, for logs.
  var peerAddress: String { get }
  /// Sends one response message (the response headers go out before the first one).
  func send(_ message: [UInt8])
  /// Ends the call with trailers carrying `status`. Later sends are ignored.
  func finish(_ status: GRPCStatus)
  /// Runs `work` later on the call's loop thread; callable from any thread (hop back here to
  /// answer after work done elsewhere).
  func execute(_ work: @escaping @Sendable () -> Void)
}

extension GRPCServerCall {
  /// Calls that have no loop (e.g. in-process test doubles) run `work` at once.
  public func execute(_ work: @escaping @Sendable () -> Void) {
    work()
  }
}

/// Why a call ended without the handler finishing it.
public enum GRPCCallEndReason: Sendable, Equatable {
  /// The peer reset the stream (Envoy sends RST_STREAM(CANCEL) after every finished stream).
  case peerReset(errorCode: UInt32)
  /// The `grpc-timeout` deadline passed; the server has answered DEADLINE_EXCEEDED.
  case deadlineExceeded
  /// The connection closed or failed.
  case connectionClosed
  /// The server answered with an error of its own (e.g. RESOURCE_EXHAUSTED for an oversized
  /// message) and the handler will see nothing more.
  case serverError(GRPCStatus)
}

/// The handler of one call. Every callback runs on the call's loop thread.
public protocol GRPCCallHandler: AnyObject {
  /// One complete request message.
  func received(message: [UInt8], on call: any GRPCServerCall)
  /// The client half-closed the stream (END_STREAM): no more messages will come.
  func receivedEnd(on call: any GRPCServerCall)
  /// The call ended before the handler finished it; no further sends are possible.
  func callEnded(_ reason: GRPCCallEndReason)
}

/// Makes a handler for each new call of one method.
public typealias GRPCCallHandlerFactory = @Sendable (any GRPCServerCall) -> any GRPCCallHandler
