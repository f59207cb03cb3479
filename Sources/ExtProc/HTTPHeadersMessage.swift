/// The request or response headers of the HTTP exchange (ext_proc `HttpHeaders`).
public struct HTTPHeadersMessage: Sendable, Equatable {
  /// The header fields, pseudo-headers (`:method`, `:path`, `:status`, ...) included.
  public var headers: HTTPHeaders
  /// True when no body or trailers follow in this direction.
  public var endOfStream: Bool

  public init(headers: HTTPHeaders, endOfStream: Bool = false) {
    self.headers = headers
    self.endOfStream = endOfStream
  }
}
