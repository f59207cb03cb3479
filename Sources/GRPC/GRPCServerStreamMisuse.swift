/// An event the lifecycle of a server call does not allow. Peers cannot cause one (nghttp2
/// rejects frames after END_STREAM): it is a bug in a handler or in the stream that drives the
/// state machine.
enum GRPCServerStreamMisuse: Error, Equatable, CustomStringConvertible {
  /// The handler sent a message after finishing the call itself.
  case sendAfterFinish
  /// The handler finished a call it had already finished.
  case finishAfterFinish
  /// Request DATA came after the request's END_STREAM.
  case dataAfterRequestEnd
  /// The request's END_STREAM came twice.
  case requestEndedTwice

  var description: String {
    switch self {
    case .sendAfterFinish: "a message sent after the handler finished the call"
    case .finishAfterFinish: "a call finished twice by its handler"
    case .dataAfterRequestEnd: "request data after the request ended"
    case .requestEndedTwice: "the request ended twice"
    }
  }
}
