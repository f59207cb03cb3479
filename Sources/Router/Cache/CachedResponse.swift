/// A stored backend answer: the body bytes and their content type.
public struct CachedResponse: Sendable, Equatable {
  public var body: [UInt8]
  public var contentType: String

  public init(body: [UInt8], contentType: String) {
    self.body = body
    self.contentType = contentType
  }
}
