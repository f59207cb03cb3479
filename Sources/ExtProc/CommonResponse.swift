/// The answer to a headers or body message (ext_proc `CommonResponse`).
///
/// `clearRouteCache` makes Envoy re-pick the route after header changes; Envoy honours it only
/// in the request direction and only together with a non-empty header mutation.
public struct CommonResponse: Sendable, Equatable {
  /// `CommonResponse.ResponseStatus`.
  public enum Status: Sendable, Equatable {
    /// Apply the mutations and continue.
    case `continue`
    /// In a headers response: apply the mutations, replace the body with `bodyMutation` and
    /// skip the rest of the processing of this direction.
    case continueAndReplace
  }

  public var status: Status
  public var headerMutation: HeaderMutation
  public var bodyMutation: BodyMutation
  public var clearRouteCache: Bool

  public init(
    status: Status = .continue, headerMutation: HeaderMutation = HeaderMutation(),
    bodyMutation: BodyMutation = .none, clearRouteCache: Bool = false
  ) {
    self.status = status
    self.headerMutation = headerMutation
    self.bodyMutation = bodyMutation
    self.clearRouteCache = clearRouteCache
  }

  /// Continue without any change.
  public static var passThrough: CommonResponse { CommonResponse() }

  /// Replaces the body with `bytes` and sets `content-length` to match, as a BUFFERED body
  /// response must when the length changes (else Envoy answers 500).
  ///
  /// Only BUFFERED mode with the headers sent needs this: in STREAMED and BUFFERED_PARTIAL mode
  /// Envoy removes `content-length` itself once body mutations are possible, and header
  /// mutations in STREAMED body responses have no effect.
  public mutating func replaceBody(with bytes: [UInt8]) {
    bodyMutation = .replace(bytes)
    headerMutation.setHeaders.removeAll { $0.name == "content-length" }
    headerMutation.set("content-length", String(bytes.count))
  }
}
