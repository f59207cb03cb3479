/// The logic behind one ext_proc stream, i.e. one HTTP exchange through Envoy.
///
/// `ExtProcService` creates one processor per stream with a `ProcessorFactory`, calls the
/// `process…` method matching each message Envoy sends, in order, and sends back the decision as
/// the response of the matching kind. Any part may be skipped, depending on the filter's
/// processing mode. After an `.immediate` decision no further method is called except
/// `streamEnded`. `streamEnded` is called exactly once, last, however the stream ends.
///
/// Every method runs on the stream's event-loop thread and must not block: the processor is
/// confined to that thread and need not be `Sendable`. A body method whose answer needs I/O
/// returns `.later` and resolves it on the same thread when the answer is known.
/// Every `process…` method has a pass-through default, so a processor implements only what it
/// needs.
public protocol Processor: AnyObject {
  /// The request headers (`:method`, `:path`, `:authority`, ... included).
  func processRequestHeaders(_ message: HTTPHeadersMessage) -> HeadersDecision
  /// The request body (BUFFERED: whole, up to Envoy's buffer limit) or one chunk of it
  /// (STREAMED). `mode` is the body mode in force, nil when Envoy did not say (older Envoy
  /// without `protocol_config`, and no override sent).
  func processRequestBody(_ body: HTTPBody, mode: ProcessingMode.BodySendMode?) -> BodyDecision
  /// The request trailers.
  func processRequestTrailers(_ trailers: HTTPHeaders) -> TrailersDecision
  /// The response headers (`:status` included).
  func processResponseHeaders(_ message: HTTPHeadersMessage) -> HeadersDecision
  /// The response body or one chunk of it; see `processRequestBody`.
  func processResponseBody(_ body: HTTPBody, mode: ProcessingMode.BodySendMode?) -> BodyDecision
  /// The response trailers.
  func processResponseTrailers(_ trailers: HTTPHeaders) -> TrailersDecision
  /// The stream ended; called once, after every other call (e.g. to end tracing spans).
  func streamEnded(_ end: ProcessorStreamEnd)
}

extension Processor {
  public func processRequestHeaders(_ message: HTTPHeadersMessage) -> HeadersDecision {
    .passThrough
  }

  public func processRequestBody(
    _ body: HTTPBody, mode: ProcessingMode.BodySendMode?
  ) -> BodyDecision {
    .passThrough
  }

  public func processRequestTrailers(_ trailers: HTTPHeaders) -> TrailersDecision {
    .passThrough
  }

  public func processResponseHeaders(_ message: HTTPHeadersMessage) -> HeadersDecision {
    .passThrough
  }

  public func processResponseBody(
    _ body: HTTPBody, mode: ProcessingMode.BodySendMode?
  ) -> BodyDecision {
    .passThrough
  }

  public func processResponseTrailers(_ trailers: HTTPHeaders) -> TrailersDecision {
    .passThrough
  }

  public func streamEnded(_ end: ProcessorStreamEnd) {}
}

/// What a processor learns about its stream when it is created.
public struct ProcessorContext: Sendable {
  /// The gRPC stream's request metadata (HTTP/2 headers of the ext_proc call). With Envoy
  /// tracing on, `traceparent` here names Envoy's ext_proc egress span.
  public var metadata: HTTPHeaders
  /// The peer's address, for logs.
  public var peerAddress: String

  public init(metadata: HTTPHeaders, peerAddress: String) {
    self.metadata = metadata
    self.peerAddress = peerAddress
  }
}

/// Makes the processor of each new ext_proc stream; called on the stream's loop thread.
public typealias ProcessorFactory = @Sendable (ProcessorContext) -> any Processor

/// How an ext_proc stream ended, as told to `Processor.streamEnded`.
public enum ProcessorStreamEnd: Sendable, Equatable {
  /// Envoy half-closed the stream and it was finished with status OK: the normal end, but also
  /// how Envoy 1.40 ends the stream of an exchange cut short (the client went away, or the
  /// backend reset after its response headers). A processor tells them apart by whether the
  /// response finished.
  case completed
  /// Envoy reset the stream before half-closing it (the client went away, a timeout, or Envoy
  /// no longer needed the processor).
  case cancelled
  /// The call's `grpc-timeout` passed.
  case deadlineExceeded
  /// The connection to Envoy closed or failed.
  case connectionClosed
  /// The stream was closed with an error status; the text says why.
  case failed(String)
}
