/// What an `HTTP1Server` handler answers: status, content type and body. The server adds
/// `Content-Length` and `Connection: close`.
public struct HTTP1ServerResponse: Sendable {
  public var status: Int
  public var contentType: String
  public var body: [UInt8]
  /// Further header fields (not `Content-Length`, `Content-Type` or `Connection`).
  public var headers: [(name: String, value: String)]

  public init(
    status: Int = 200, contentType: String = "text/plain; charset=utf-8", body: [UInt8] = [],
    headers: [(name: String, value: String)] = []
  ) {
    self.status = status
    self.contentType = contentType
    self.body = body
    self.headers = headers
  }

  /// A UTF-8 body.
  public init(
    status: Int = 200, contentType: String = "text/plain; charset=utf-8", body: String,
    headers: [(name: String, value: String)] = []
  ) {
    self.init(status: status, contentType: contentType, body: Array(body.utf8), headers: headers)
  }

  /// A plain-text response.
  public static func text(_ body: String, status: Int = 200) -> Self {
    Self(status: status, body: body)
  }

  /// `404 Not Found` with a short text body.
  public static let notFound = Self(status: 404, body: "not found\n")

  /// The bytes on the wire; for HEAD, `includeBody` is false but `Content-Length` still gives
  /// the body's length (RFC 9110 §9.3.2).
  func serialized(includeBody: Bool) -> [UInt8] {
    var head = "HTTP/1.1 \(status) \(Self.reasonPhrase(status))\r\n"
    head += "Content-Type: \(contentType)\r\n"
    head += "Content-Length: \(body.count)\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    head += "Connection: close\r\n\r\n"
    var bytes = Array(head.utf8)
    if includeBody { bytes.append(contentsOf: body) }
    return bytes
  }

  /// The reason phrase for the status codes an admin server uses (RFC 9110 §15).
  static func reasonPhrase(_ status: Int) -> String {
    switch status {
    case 200: "OK"
    case 204: "No Content"
    case 400: "Bad Request"
    case 404: "Not Found"
    case 405: "Method Not Allowed"
    case 408: "Request Timeout"
    case 431: "Request Header Fields Too Large"
    case 500: "Internal Server Error"
    case 503: "Service Unavailable"
    case 505: "HTTP Version Not Supported"
    default: "Status \(status)"
    }
  }
}
