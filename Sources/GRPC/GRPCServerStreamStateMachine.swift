/// The lifecycle of one server-side gRPC call, as a value: each event is a `mutating` method
/// returning what the stream must do, and an event the lifecycle does not allow is a typed
/// `GRPCServerStreamMisuse`. No I/O, so every transition is unit-tested state by state.
///
/// While the call is active its request side goes open → ended (END_STREAM) and its response
/// side goes idle → headers sent. The call then ends one of two ways: the handler finishes it
/// with a status, or it ends without the handler (a bad request, the deadline, a closed stream)
/// and the handler is told. Either way the handler sees nothing more. A send or finish after
/// the handler was told the call ended is dropped (the handler may have been answering from
/// another thread); after the handler finished the call itself, it is misuse.
struct GRPCServerStreamStateMachine {
  /// Whether the client may still send messages.
  enum RequestSide: Equatable {
    case open
    /// END_STREAM arrived at a message boundary.
    case ended
  }

  /// Whether the response headers went out.
  enum ResponseSide: Equatable {
    case idle
    case headersSent
  }

  private enum State {
    /// The handler receives messages and may send.
    case active(request: RequestSide, response: ResponseSide)
    /// The handler finished the call with a status.
    case finishedByHandler
    /// The call ended without the handler finishing it, and the handler was told.
    case ended
  }

  private var state = State.active(request: .open, response: .idle)
  /// The request's byte stream, read only while the request side is open. Kept beside the state
  /// rather than in it so its buffer is mutated in place, never copied.
  private var deframer: GRPCMessageDeframer

  init(maxReceiveMessageSize: Int) {
    deframer = GRPCMessageDeframer(maxMessageSize: maxReceiveMessageSize)
  }

  /// Whether the handler sees nothing more (the call finished or ended).
  var isFinished: Bool {
    if case .active = state { return false }
    return true
  }

  // MARK: - Inbound

  enum OnReceiveData: Equatable {
    /// Deliver the messages appended to the output array, in order.
    case deliver
    /// The request is bad: finish with `status` (trailers, headers first if needed), stop the
    /// peer's upload, and tell the handler `.serverError(status)`.
    case fail(GRPCStatus, trailersOnly: Bool)
    /// The call is over: drop the bytes.
    case ignore
  }

  /// Bytes of a partial request message held until it completes.
  var bufferedBytes: Int { deframer.bufferedBytes }

  /// A DATA chunk arrived.
  mutating func receivedData(
    _ bytes: UnsafeRawBufferPointer, into messages: inout [[UInt8]]
  ) throws(GRPCServerStreamMisuse) -> OnReceiveData {
    switch state {
    case .active(request: .open, let response):
      do {
        try deframer.process(bytes, into: &messages)
        return .deliver
      } catch {
        state = .ended
        return .fail(error, trailersOnly: response == .idle)
      }
    case .active(request: .ended, _):
      throw .dataAfterRequestEnd
    case .finishedByHandler, .ended:
      return .ignore
    }
  }

  enum OnReceiveEnd: Equatable {
    /// Tell the handler the request side ended.
    case deliverEnd
    /// The request ended inside a message: finish with `status` as for `OnReceiveData.fail`.
    case fail(GRPCStatus, trailersOnly: Bool)
    /// The call is over: nothing to tell.
    case ignore
  }

  /// The client ended its side (END_STREAM).
  mutating func receivedEnd() throws(GRPCServerStreamMisuse) -> OnReceiveEnd {
    switch state {
    case .active(request: .open, let response):
      guard deframer.isAtMessageBoundary else {
        state = .ended
        return .fail(
          GRPCStatus(.internal, "request ended inside a message"),
          trailersOnly: response == .idle)
      }
      state = .active(request: .ended, response: response)
      return .deliverEnd
    case .active(request: .ended, _):
      throw .requestEndedTwice
    case .finishedByHandler, .ended:
      return .ignore
    }
  }

  // MARK: - Outbound

  enum OnSend: Equatable {
    /// Send the response headers, then the message.
    case sendHeadersAndMessage
    case sendMessage
    /// The call ended without the handler: drop the message.
    case drop
  }

  /// The handler sends a message.
  mutating func send() throws(GRPCServerStreamMisuse) -> OnSend {
    switch state {
    case .active(let request, response: .idle):
      state = .active(request: request, response: .headersSent)
      return .sendHeadersAndMessage
    case .active(_, response: .headersSent):
      return .sendMessage
    case .finishedByHandler:
      throw .sendAfterFinish
    case .ended:
      return .drop
    }
  }

  enum OnFinish: Equatable {
    /// Send trailers after the messages already sent.
    case sendTrailers
    /// Nothing was sent: answer with one HEADERS frame carrying the status (Trailers-Only).
    case sendTrailersOnly
    /// The call ended without the handler: its status goes nowhere.
    case drop
  }

  /// The handler finishes the call with a status.
  mutating func finish() throws(GRPCServerStreamMisuse) -> OnFinish {
    switch state {
    case .active(_, let response):
      state = .finishedByHandler
      return response == .idle ? .sendTrailersOnly : .sendTrailers
    case .finishedByHandler:
      throw .finishAfterFinish
    case .ended:
      return .drop
    }
  }

  enum OnDeadline: Equatable {
    /// Finish with DEADLINE_EXCEEDED and tell the handler `.deadlineExceeded`.
    case fail(trailersOnly: Bool)
    /// The call is over (its timer only races with the end).
    case ignore
  }

  /// The `grpc-timeout` deadline passed.
  mutating func deadlinePassed() -> OnDeadline {
    switch state {
    case .active(_, let response):
      state = .ended
      return .fail(trailersOnly: response == .idle)
    case .finishedByHandler, .ended:
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
    switch state {
    case .active:
      state = .ended
      guard let errorCode else { return .notify(.connectionClosed) }
      return .notify(.peerReset(errorCode: errorCode))
    case .finishedByHandler, .ended:
      return .none
    }
  }
}
