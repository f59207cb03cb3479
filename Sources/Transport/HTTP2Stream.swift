internal import CNGHTTP2

/// One HTTP/2 stream of an `HTTP2Connection`, as the layer above sees it. Loop-thread confined.
///
/// Outgoing DATA is queued here and pulled by nghttp2 as flow control allows; sends are written
/// to the socket at the end of the loop's current iteration, so several sends become one write.
public final class HTTP2Stream {
  /// The HTTP/2 stream identifier.
  public let id: Int32
  /// The connection the stream belongs to.
  public let connection: HTTP2Connection
  /// Who receives the stream's events; released when the stream closes.
  public var delegate: (any HTTP2StreamDelegate)?

  /// Whether the stream is closed (nothing more will be sent or received).
  public private(set) var isClosed = false

  /// Bytes of received DATA the delegate still holds unconsumed (e.g. a partial message); it
  /// sets this after each chunk. A server connection grants flow-control window again only
  /// for bytes not held, so what a connection holds stays within its input cap.
  public var heldInputBytes = 0
  /// `heldInputBytes` as the connection last counted it.
  var countedInputBytes = 0

  /// Our first HEADERS frame went out (a client request the server may have seen).
  var headersWereSent = false
  /// When a frame of this stream was last sent or received (kept only when the server limits
  /// idle streams).
  var lastActivity: UInt64 = 0
  /// The header block being received, within the connection's header list limits.
  var receivingHeaders: HTTP2ReceivedHeaderList
  /// Queued DATA not yet taken by nghttp2, from `pendingOffset` on.
  private var pending: [UInt8] = []
  private var pendingOffset = 0
  /// Our side ends after the queued data (with trailers, if set).
  private var endAfterData = false
  private var trailers: [HTTP2Header]?
  /// Our HEADERS were submitted (with a data provider unless they ended the stream).
  private var headersSubmitted = false
  /// nghttp2 is waiting for data (the read callback returned NGHTTP2_ERR_DEFERRED).
  private var deferred = false
  /// Reset the stream with this code once our END_STREAM frame is out, if the peer's side is
  /// still open (HTTP/2 §8.1: a complete response, then "stop sending").
  private var resetAfterEndCode: UInt32?

  init(id: Int32, connection: HTTP2Connection) {
    self.id = id
    self.connection = connection
    receivingHeaders = HTTP2ReceivedHeaderList(
      maxBytes: Int(connection.settings.maxHeaderListBytes),
      maxCount: connection.settings.maxHeaderCount)
  }

  // MARK: - Sending

  /// Sends the header block that starts our side (response headers on a server). With
  /// `endStream` it is the whole response (e.g. gRPC Trailers-Only); otherwise DATA may follow.
  public func sendHeaders(_ headers: [HTTP2Header], endStream: Bool) {
    connection.loop.assertInEventLoop()
    guard !isClosed, !headersSubmitted else { return }
    headersSubmitted = true
    if endStream {
      endAfterData = true
      connection.submitHeaders(headers, stream: self, withDataProvider: false)
    } else {
      connection.submitHeaders(headers, stream: self, withDataProvider: true)
    }
  }

  /// Queues DATA bytes; with `endStream` our side ends after them (no trailers).
  public func sendData(_ bytes: UnsafeRawBufferPointer, endStream: Bool = false) {
    connection.loop.assertInEventLoop()
    guard !isClosed, !endAfterData else { return }
    precondition(headersSubmitted, "sendData before sendHeaders")
    pending.append(contentsOf: bytes)
    connection.outputQueued(bytes.count)
    if endStream { endAfterData = true }
    resumeIfDeferred()
  }

  /// Queues DATA bytes; with `endStream` our side ends after them (no trailers).
  public func sendData(_ bytes: [UInt8], endStream: Bool = false) {
    bytes.withUnsafeBytes { sendData($0, endStream: endStream) }
  }

  /// Ends our side with a trailer block after any queued DATA.
  public func sendTrailers(_ headers: [HTTP2Header]) {
    connection.loop.assertInEventLoop()
    guard !isClosed, !endAfterData else { return }
    precondition(headersSubmitted, "sendTrailers before sendHeaders")
    trailers = headers
    endAfterData = true
    resumeIfDeferred()
  }

  /// After our END_STREAM is sent, reset the stream with `errorCode` (usually NO_ERROR) if the
  /// peer is still sending: tells it to stop uploading a request we have already answered.
  public func resetAfterEnd(errorCode: UInt32 = 0) {
    resetAfterEndCode = errorCode
  }

  /// Resets the stream now (RST_STREAM with `errorCode`).
  public func reset(errorCode: UInt32) {
    connection.loop.assertInEventLoop()
    guard !isClosed else { return }
    connection.submitReset(stream: self, errorCode: errorCode)
  }

  /// A client request's HEADERS were submitted by the connection.
  func markRequestSubmitted(endStream: Bool) {
    headersSubmitted = true
    endAfterData = endStream
  }

  private func resumeIfDeferred() {
    if deferred {
      deferred = false
      connection.resumeData(stream: self)
    } else {
      connection.scheduleFlush()
    }
  }

  // MARK: - Called by the connection

  /// Fills nghttp2's DATA frame buffer; see `nghttp2_data_source_read_callback`.
  func readData(into buffer: UnsafeMutablePointer<UInt8>, length: Int, flags: inout UInt32) -> Int {
    let available = pending.count - pendingOffset
    let count = min(available, length)
    if count > 0 {
      pending.withUnsafeBufferPointer { source in
        buffer.update(from: source.baseAddress! + pendingOffset, count: count)
      }
      pendingOffset += count
      connection.outputQueued(-count)
      if pendingOffset == pending.count {
        pending.removeAll(keepingCapacity: pending.capacity <= 1 << 20)
        pendingOffset = 0
      }
    }
    if pendingOffset < pending.count || count == length { return count }
    guard endAfterData else {
      if count > 0 { return count }
      deferred = true
      return Int(NGHTTP2_ERR_DEFERRED.rawValue)
    }
    flags |= NGHTTP2_DATA_FLAG_EOF.rawValue
    if let trailers {
      // Trailers must be submitted from here: a zero-length EOF may send no DATA frame at all.
      flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
      self.trailers = nil
      connection.submitTrailers(trailers, stream: self)
    }
    return count
  }

  /// Our END_STREAM went out; reset the stream if asked to and the peer is still sending.
  func sentEndStream() {
    guard let code = resetAfterEndCode else { return }
    resetAfterEndCode = nil
    connection.submitReset(stream: self, errorCode: code, onlyIfRemoteOpen: true)
  }

  /// The stream closed; tells the delegate and drops it (breaking the reference cycle).
  func closed(reason: HTTP2StreamCloseReason) {
    guard !isClosed else { return }
    isClosed = true
    connection.outputQueued(pendingOffset - pending.count)
    pending = []
    pendingOffset = 0
    trailers = nil
    let delegate = self.delegate
    self.delegate = nil
    delegate?.streamClosed(self, reason: reason)
  }
}

@available(*, unavailable)
extension HTTP2Stream: Sendable {}
