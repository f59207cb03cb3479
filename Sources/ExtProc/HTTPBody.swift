/// A request or response body, whole (BUFFERED) or one chunk of it (STREAMED) (ext_proc
/// `HttpBody`).
public struct HTTPBody: Sendable, Equatable {
  /// The body bytes of this message.
  public var bytes: [UInt8]
  /// True when this is the last body message in its direction and no trailers follow.
  public var endOfStream: Bool

  public init(bytes: [UInt8], endOfStream: Bool = false) {
    self.bytes = bytes
    self.endOfStream = endOfStream
  }
}
