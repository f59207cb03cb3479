import TextCoding
import Transport

/// One unary call on a client stream: sends the request, reassembles the response message,
/// reads the status from trailers (or a Trailers-Only response) and completes exactly once.
/// Loop-thread confined.
final class GRPCClientUnaryCall: HTTP2StreamDelegate {
  typealias Completion = @Sendable (Result<[UInt8], GRPCStatus>) -> Void

  let path: String
  let request: [UInt8]
  let metadata: [GRPCMetadataField]
  let timeoutNanoseconds: UInt64
  private var completion: Completion?
  private var deframer: GRPCMessageDeframer
  private var messages: [[UInt8]] = []
  private var sawResponseHeaders = false
  private var stream: HTTP2Stream?
  private var deadlineTimer: TimerID?
  private var deadline: UInt64 = .max
  private weak var loop: EventLoop?
  /// Where a stream refused by the server (never processed) is sent again, once.
  weak var channel: GRPCClientChannel?
  private var retried = false

  init(
    path: String, request: [UInt8], metadata: [GRPCMetadataField], timeoutNanoseconds: UInt64,
    maxReceiveMessageSize: Int, completion: @escaping Completion
  ) {
    self.path = path
    self.request = request
    self.metadata = metadata
    self.timeoutNanoseconds = timeoutNanoseconds
    self.completion = completion
    deframer = GRPCMessageDeframer(maxMessageSize: maxReceiveMessageSize)
  }

  var isCompleted: Bool { completion == nil }

  /// Arms the deadline (it covers waiting for a connection too).
  func armDeadline(on loop: EventLoop) {
    self.loop = loop
    let (sum, overflow) = Syscall.monotonicNanoseconds().addingReportingOverflow(timeoutNanoseconds)
    deadline = overflow ? .max : sum
    deadlineTimer = loop.scheduleTimer(afterNanoseconds: timeoutNanoseconds) { [self] in
      deadlineTimer = nil
      stream?.reset(errorCode: 8)  // CANCEL
      complete(.failure(GRPCStatus(.deadlineExceeded, "deadline exceeded")))
    }
  }

  /// Opens the stream on `connection` and sends the request with END_STREAM.
  func start(on connection: HTTP2Connection, authority: String) {
    guard !isCompleted else { return }
    let now = Syscall.monotonicNanoseconds()
    let remaining = deadline > now ? deadline - now : 0
    var headers = [
      HTTP2Header(":method", "POST"), HTTP2Header(":scheme", "http"),
      HTTP2Header(":path", path), HTTP2Header(":authority", authority),
      HTTP2Header("content-type", "application/grpc"), HTTP2Header("te", "trailers"),
      HTTP2Header("grpc-timeout", GRPCTimeout.format(nanoseconds: remaining)),
    ]
    for field in metadata where !field.name.hasPrefix(":") {
      headers.append(HTTP2Header(field.name, field.value))
    }
    guard let stream = connection.openStream(headers: headers, endStream: false, delegate: self)
    else {
      complete(.failure(GRPCStatus(.unavailable, "connection cannot open new streams")))
      return
    }
    self.stream = stream
    withGRPCMessagePrefix(length: request.count) { stream.sendData($0) }
    stream.sendData(request, endStream: true)
  }

  /// Fails the call (e.g. no connection could be made).
  func fail(_ status: GRPCStatus) {
    complete(.failure(status))
  }

  // MARK: - HTTP2StreamDelegate

  func stream(_ stream: HTTP2Stream, receivedHeaders headers: [HTTP2Header], endStream: Bool) {
    if !sawResponseHeaders {
      sawResponseHeaders = true
      let status = headers.first { $0.name == ":status" }?.value ?? ""
      guard status == "200" else {
        complete(.failure(Self.statusForHTTP(status)))
        return
      }
      // Trailers-Only: the status is in this block.
      if endStream { finish(trailers: headers) }
      return
    }
    finish(trailers: headers)
  }

  func stream(_ stream: HTTP2Stream, receivedData data: UnsafeRawBufferPointer) {
    guard !isCompleted else { return }
    do throws(GRPCStatus) {
      try deframer.process(data, into: &messages)
    } catch {
      stream.reset(errorCode: 8)
      complete(.failure(error))
    }
  }

  func streamReceivedEnd(_ stream: HTTP2Stream) {
    complete(.failure(GRPCStatus(.internal, "response ended without trailers")))
  }

  func streamClosed(_ stream: HTTP2Stream, reason: HTTP2StreamCloseReason) {
    switch reason {
    case .connectionClosed:
      complete(.failure(GRPCStatus(.unavailable, "connection closed")))
    case .closed(let code):
      switch code {
      case 0: complete(.failure(GRPCStatus(.internal, "stream closed without a status")))
      case 7:
        // REFUSED_STREAM (e.g. the server's GOAWAY crossed our request): the server did not
        // process it, so it is safe to send once more on a fresh connection.
        if !retried, !isCompleted, let channel {
          retried = true
          self.stream = nil
          sawResponseHeaders = false
          messages = []
          channel.resubmit(self)
        } else {
          complete(.failure(GRPCStatus(.unavailable, "stream refused (REFUSED_STREAM)")))
        }
      case 8: complete(.failure(GRPCStatus(.cancelled, "stream cancelled by the server")))
      default: complete(.failure(GRPCStatus(.internal, "stream reset with HTTP/2 error \(code)")))
      }
    }
  }

  // MARK: - Completing

  private func finish(trailers: [HTTP2Header]) {
    var code: GRPCStatusCode?
    var message = ""
    for header in trailers {
      switch header.name {
      case "grpc-status": code = UInt32(header.value).flatMap(GRPCStatusCode.init(rawValue:))
      case "grpc-message": message = PercentEncoding.decode(header.value)
      default: break
      }
    }
    guard let code else {
      complete(.failure(GRPCStatus(.unknown, "response has no valid grpc-status")))
      return
    }
    guard code == .ok else {
      complete(.failure(GRPCStatus(code, message)))
      return
    }
    guard messages.count == 1, deframer.isAtMessageBoundary else {
      complete(
        .failure(GRPCStatus(.internal, "unary response had \(messages.count) messages")))
      return
    }
    complete(.success(messages[0]))
  }

  private func complete(_ result: Result<[UInt8], GRPCStatus>) {
    guard let completion else { return }
    self.completion = nil
    if let deadlineTimer, let loop {
      loop.cancelTimer(deadlineTimer)
    }
    deadlineTimer = nil
    stream = nil
    messages = []
    completion(result)
  }

  /// The gRPC status for a non-200 HTTP response (grpc/doc/http-grpc-status-mapping.md).
  static func statusForHTTP(_ status: String) -> GRPCStatus {
    let code: GRPCStatusCode =
      switch status {
      case "400": .internal
      case "401": .unauthenticated
      case "403": .permissionDenied
      case "404": .unimplemented
      case "429", "502", "503", "504": .unavailable
      default: .unknown
      }
    return GRPCStatus(code, "HTTP status \(status)")
  }
}

@available(*, unavailable)
extension GRPCClientUnaryCall: Sendable {}
