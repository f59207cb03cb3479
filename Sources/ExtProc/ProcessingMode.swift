/// Which parts of an HTTP exchange Envoy sends to the processor, and how it sends bodies
/// (`envoy.extensions.filters.http.ext_proc.v3.ProcessingMode`).
///
/// A processor sends one as `mode_override` in a headers response to change the modes for the
/// rest of the exchange, e.g. to switch a `text/event-stream` response body to `.streamed`.
/// Envoy honours it only in a headers response and only with `allow_mode_override: true` in the
/// filter config; it ignores the request-header mode there.
public struct ProcessingMode: Sendable, Equatable {
  /// Whether Envoy sends a headers or trailers message (`HeaderSendMode`).
  public enum HeaderSendMode: Int, Sendable, Equatable {
    /// The filter config's default.
    case `default` = 0
    case send = 1
    case skip = 2
  }

  /// How Envoy sends a body (`BodySendMode`).
  public enum BodySendMode: Int, Sendable, Equatable {
    /// The body is not sent.
    case none = 0
    /// Every chunk is sent as it arrives and answered in order; header mutations in the body
    /// responses have no effect.
    case streamed = 1
    /// The whole body is sent in one message (up to the buffer limit).
    case buffered = 2
    /// The body is sent in one message once complete or when the buffer limit is reached.
    case bufferedPartial = 3
    /// Chunks flow both ways independently (not supported by this processor service).
    case fullDuplexStreamed = 4
    /// gRPC messages of a gRPC body (not supported by this processor service).
    case grpc = 5
  }

  public var requestHeaderMode: HeaderSendMode
  public var responseHeaderMode: HeaderSendMode
  public var requestBodyMode: BodySendMode
  public var responseBodyMode: BodySendMode
  public var requestTrailerMode: HeaderSendMode
  public var responseTrailerMode: HeaderSendMode

  public init(
    requestHeaderMode: HeaderSendMode = .default,
    responseHeaderMode: HeaderSendMode = .default,
    requestBodyMode: BodySendMode = .none,
    responseBodyMode: BodySendMode = .none,
    requestTrailerMode: HeaderSendMode = .default,
    responseTrailerMode: HeaderSendMode = .default
  ) {
    self.requestHeaderMode = requestHeaderMode
    self.responseHeaderMode = responseHeaderMode
    self.requestBodyMode = requestBodyMode
    self.responseBodyMode = responseBodyMode
    self.requestTrailerMode = requestTrailerMode
    self.responseTrailerMode = responseTrailerMode
  }
}
