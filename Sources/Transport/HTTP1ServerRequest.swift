/// One HTTP/1.1 request as `HTTP1Server` hands it to its handler: the request line and headers
/// (bodies are not read; the server answers only GET and HEAD).
public struct HTTP1ServerRequest: Sendable {
  /// The method token, e.g. `GET` (case-sensitive, as the spec says).
  public var method: String
  /// The request target as sent, e.g. `/metrics?x=1`.
  public var target: String
  /// The target's path, without the query (`/metrics`); for an absolute-form target
  /// (`http://host/metrics`) the path part.
  public var path: String
  /// The part after `?`, if any.
  public var query: String?
  /// `HTTP/1.1` or `HTTP/1.0`.
  public var version: String
  /// Header fields in order, names as sent.
  public var headers: [(name: String, value: String)]
  /// The client's address, for logs.
  public var peerAddress: String

  public init(
    method: String, target: String, version: String = "HTTP/1.1",
    headers: [(name: String, value: String)] = [], peerAddress: String = ""
  ) {
    self.method = method
    self.target = target
    self.version = version
    self.headers = headers
    self.peerAddress = peerAddress
    (path, query) = Self.split(target: target)
  }

  /// The first value of the header `name` (case-insensitive).
  public func header(_ name: String) -> String? {
    let lowered = name.lowercased()
    return headers.first { $0.name.lowercased() == lowered }?.value
  }

  private static func split(target: String) -> (path: String, query: String?) {
    var pathAndQuery = Substring(target)
    if let scheme = target.firstRange(of: "://"), !target.hasPrefix("/") {
      // absolute-form: skip the authority.
      let rest = target[scheme.upperBound...]
      pathAndQuery = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
    }
    guard let mark = pathAndQuery.firstIndex(of: "?") else { return (String(pathAndQuery), nil) }
    return (
      String(pathAndQuery[..<mark]), String(pathAndQuery[pathAndQuery.index(after: mark)...])
    )
  }
}
