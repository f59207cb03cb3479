/// The lifecycle of one server-side gRPC call, as a value: each event is a `mutating` method
/// returning what the stream must do. No I/O, so every transition is unit-tested.
///
/// The request side goes open → ended (END_STREAM); the response side goes idle → headers sent
/// → finished (trailers sent). A closed HTTP/2 stream ends both. Once the response side is
/// finished the handler sees nothing more.
struct GRPCServerStreamStateMachine {
  private enum Response {
    /// No response headers sent yet.
    case idle
    /// Response headers sent; messages may follow.
    case streaming
    /// Trailers (or a Trailers-Only response) sent, or the stream closed.
    case finished
  }

  private var response = Response.idle
  private var requestEnded = false
  private var closed = false
  private var deframer: GRPCMessageDeframer

  init(maxReceiveMessageSize: Int) {
    deframer = GRPCMessageDeframer(maxMessageSize: maxReceiveMessageSize)
  }

  /// Whether the handler may still receive events.
  var isFinished: Bool { response == .finished }

  // MARK: - Inbound

  enum OnReceiveData: Equatable {
    /// Deliver the messages appended to the output array, in order.
    case deliver
    /// The request is bad: finish with `status` (trailers, headers first if needed), stop the
    /// peer's upload, and tell the handler `.serverError(status)`.
    case fail(GRPCStatus, trailersOnly: Bool)
    /// The call is over or the request side already ended: drop the bytes.
    case ignore
  }

  /// A DATA chunk arrived.
  mutating func receivedData(
    _ bytes: UnsafeRawBufferPointer, into messages: inout [[UInt8]]
  ) -> OnReceiveData {
    guard response != .finished, !requestEnded else { return .ignore }
    do {
      try deframer.process(bytes, into: &messages)
      return .deliver
    } catch {
      return .fail(error, trailersOnly: failRequest())
    }
  }

  enum OnReceiveEnd: Equatable {
    /// Tell the handler the request side ended.
    case deliverEnd
    /// The request ended inside a message: finish with `status` as for `OnReceiveData.fail`.
    case fail(GRPCStatus, trailersOnly: Bool)
    case ignore
  }

  /// The client ended its side (END_STREAM).
  mutating func receivedEnd() -> OnReceiveEnd {
    guard response != .finished, !requestEnded else { return .ignore }
    requestEnded = true
    guard deframer.isAtMessageBoundary else {
      return .fail(
        GRPCStatus(.internal, "request ended inside a message"), trailersOnly: failRequest())
    }
    return .deliverEnd
  }

  /// Ends the call because of a bad request; returns whether no response headers were sent.
  private mutating func failRequest() -> Bool {
    let trailersOnly = response == .idle
    response = .finished
    requestEnded = true
    return trailersOnly
  }

  // MARK: - Outbound

  enum OnSend: Equatable {
    /// Send the response headers, then the message.
    case sendHeadersAndMessage
    case sendMessage
    /// The call is finished: drop the message.
    case drop
  }

  /// The handler sends a message.
  mutating func send() -> OnSend {
    switch response {
    case .idle:
      response = .streaming
      return .sendHeadersAndMessage
    case .streaming:
      return .sendMessage
    case .finished:
      return .drop
    }
  }

  enum OnFinish: Equatable {
    /// Send trailers after the messages already sent.
    case sendTrailers
    /// Nothing was sent: answer with one HEADERS frame carrying the status (Trailers-Only).
    case sendTrailersOnly
    case drop
  }

  /// The handler finishes the call with a status.
  mutating func finish() -> OnFinish {
    switch response {
    case .idle:
      response = .finished
      return .sendTrailersOnly
    case .streaming:
      response = .finished
      return .sendTrailers
    case .finished:
      return .drop
    }
  }

  enum OnDeadline: Equatable {
    /// Finish with DEADLINE_EXCEEDED and tell the handler `.deadlineExceeded`.
    case fail(trailersOnly: Bool)
    case ignore
  }

  /// The `grpc-timeout` deadline passed.
  mutating func deadlinePassed() -> OnDeadline {
    switch response {
    case .idle:
      response = .finished
      return .fail(trailersOnly: true)
    case .streaming:
      response = .finished
      return .fail(trailersOnly: false)
    case .finished:
      return .ignore
    }
  }

  enum OnClosed: Equatable {
    /// Tell the handler the call ended with `reason`.
    case notify(GRPCCallEndReason)
    /// The handler had finished the call (or was already told): a normal end.
    case none
  }

  /// The HTTP/2 stream closed. `errorCode` is nil when the whole connection went away.
  mutating func streamClosed(errorCode: UInt32?) -> OnClosed {
    guard !closed else { return .none }
    closed = true
    requestEnded = true
    guard response != .finished else { return .none }
    response = .finished
    guard let errorCode else { return .notify(.connectionClosed) }
    return .notify(.peerReset(errorCode: errorCode))
  }
}
