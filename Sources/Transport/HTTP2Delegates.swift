/// Why an HTTP/2 stream closed.
public enum HTTP2StreamCloseReason: Sendable, Equatable {
  /// Both sides ended the stream (`errorCode` 0), or either side reset it with `errorCode`.
  case closed(errorCode: UInt32)
  /// The connection closed or failed while the stream was open.
  case connectionClosed
}

/// Receives the events of one HTTP/2 stream. Every call runs on the connection's loop thread.
public protocol HTTP2StreamDelegate: AnyObject {
  /// A header block: request headers never reach here on a server (they come with
  /// `HTTP2ConnectionDelegate.connection(_:openedStream:headers:endStream:)`); on a client the
  /// response headers, then possibly trailers. `endStream` ends the peer's side.
  func stream(_ stream: HTTP2Stream, receivedHeaders headers: [HTTP2Header], endStream: Bool)
  /// A chunk of DATA payload (valid only during the call).
  func stream(_ stream: HTTP2Stream, receivedData data: UnsafeRawBufferPointer)
  /// The peer ended its side with a DATA frame carrying END_STREAM.
  func streamReceivedEnd(_ stream: HTTP2Stream)
  /// The stream is closed: both sides ended, or it was reset by either side, or the connection
  /// went away. Nothing can be sent any more.
  func streamClosed(_ stream: HTTP2Stream, reason: HTTP2StreamCloseReason)
}

/// Receives the connection-level events of an HTTP/2 connection. Runs on its loop thread.
public protocol HTTP2ConnectionDelegate: AnyObject {
  /// A server connection received a new request (its complete header block). The delegate sets
  /// `stream.delegate` to receive the rest, and answers through `stream`.
  func connection(
    _ connection: HTTP2Connection, openedStream stream: HTTP2Stream, headers: [HTTP2Header],
    endStream: Bool)
  /// The connection is closed; its streams have all been told.
  func connectionClosed(_ connection: HTTP2Connection)
}
