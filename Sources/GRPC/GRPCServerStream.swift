import Logging
import TextCoding
import Transport

/// One server-side gRPC call over one HTTP/2 stream: feeds DATA through the state machine to the
/// handler and turns the handler's sends and status into HTTP/2 frames. Loop-thread confined.
final class GRPCServerStream: GRPCServerCall, HTTP2StreamDelegate {
  let requestMetadata: [GRPCMetadataField]
  private let stream: HTTP2Stream
  private let logger: Logger
  private var machine: GRPCServerStreamStateMachine
  /// The handler; dropped when the call ends, breaking the handler ⇄ call cycle.
  private var handler: (any GRPCCallHandler)?
  private var deadlineTimer: TimerID?
  /// Messages completed by the current DATA chunk (reused between chunks).
  private var messages: [[UInt8]] = []

  static let responseHeaders = [
    HTTP2Header(":status", "200"), HTTP2Header("content-type", "application/grpc"),
  ]

  init(
    stream: HTTP2Stream, metadata: [GRPCMetadataField], maxReceiveMessageSize: Int,
    logger: Logger
  ) {
    self.stream = stream
    self.requestMetadata = metadata
    self.logger = logger
    machine = GRPCServerStreamStateMachine(maxReceiveMessageSize: maxReceiveMessageSize)
  }

  /// Attaches the handler and, with a deadline, arms its timer. Call once, right after init.
  func start(handler: any GRPCCallHandler, timeoutNanoseconds: UInt64?) {
    self.handler = handler
    stream.delegate = self
    if let timeoutNanoseconds {
      deadlineTimer = stream.connection.loop.scheduleTimer(afterNanoseconds: timeoutNanoseconds) {
        [self] in
        deadlineTimer = nil
        deadlinePassed()
      }
    }
  }

  var peerAddress: String { stream.connection.peerAddress }

  func execute(_ work: @escaping @Sendable () -> Void) {
    stream.connection.loop.execute(work)
  }

  // MARK: - GRPCServerCall

  func send(_ message: [UInt8]) {
    stream.connection.loop.assertInEventLoop()
    let action: GRPCServerStreamStateMachine.OnSend
    do throws(GRPCServerStreamMisuse) {
      action = try machine.send()
    } catch {
      ignore(error)
      return
    }
    switch action {
    case .sendHeadersAndMessage:
      stream.sendHeaders(Self.responseHeaders, endStream: false)
      write(message)
    case .sendMessage:
      write(message)
    case .drop:
      break
    }
  }

  func finish(_ status: GRPCStatus) {
    stream.connection.loop.assertInEventLoop()
    let action: GRPCServerStreamStateMachine.OnFinish
    do throws(GRPCServerStreamMisuse) {
      action = try machine.finish()
    } catch {
      ignore(error)
      return
    }
    switch action {
    case .sendTrailers:
      stream.sendTrailers(Self.trailers(status))
    case .sendTrailersOnly:
      stream.sendHeaders(Self.trailersOnly(status), endStream: true)
    case .drop:
      return
    }
    callOver()
  }

  private func write(_ message: [UInt8]) {
    withGRPCMessagePrefix(length: message.count) { stream.sendData($0) }
    if !message.isEmpty { stream.sendData(message) }
  }

  // MARK: - HTTP2StreamDelegate

  func stream(_ stream: HTTP2Stream, receivedHeaders headers: [HTTP2Header], endStream: Bool) {
    // Request trailers carry nothing gRPC uses; their END_STREAM ends the request.
    if endStream { streamReceivedEnd(stream) }
  }

  func stream(_ stream: HTTP2Stream, receivedData data: UnsafeRawBufferPointer) {
    let action: GRPCServerStreamStateMachine.OnReceiveData
    do throws(GRPCServerStreamMisuse) {
      action = try machine.receivedData(data, into: &messages)
      stream.heldInputBytes = machine.bufferedBytes
    } catch {
      ignore(error)
      return
    }
    switch action {
    case .deliver:
      guard !messages.isEmpty else { return }
      let handler = self.handler
      var index = 0
      while index < messages.count, !machine.isFinished {
        handler?.received(message: messages[index], on: self)
        index += 1
      }
      messages.removeAll(keepingCapacity: true)
    case .fail(let status, let trailersOnly):
      messages.removeAll(keepingCapacity: true)
      failRequest(status, trailersOnly: trailersOnly, reason: .serverError(status))
    case .ignore:
      break
    }
  }

  func streamReceivedEnd(_ stream: HTTP2Stream) {
    let action: GRPCServerStreamStateMachine.OnReceiveEnd
    do throws(GRPCServerStreamMisuse) {
      action = try machine.receivedEnd()
    } catch {
      ignore(error)
      return
    }
    switch action {
    case .deliverEnd:
      handler?.receivedEnd(on: self)
    case .fail(let status, let trailersOnly):
      failRequest(status, trailersOnly: trailersOnly, reason: .serverError(status))
    case .ignore:
      break
    }
  }

  func streamClosed(_ stream: HTTP2Stream, reason: HTTP2StreamCloseReason) {
    let errorCode: UInt32? =
      switch reason {
      case .closed(let code): code
      case .connectionClosed: nil
      }
    let handler = self.handler
    callOver()
    switch machine.streamClosed(errorCode: errorCode) {
    case .notify(let endReason):
      handler?.callEnded(endReason)
    case .none:
      break
    }
  }

  /// Drops an event the call's lifecycle does not allow, as `GRPCServerCall` documents for
  /// late sends, and says so: it is a bug in a handler or below.
  private func ignore(_ misuse: GRPCServerStreamMisuse) {
    logger.warning(
      "gRPC call: \(misuse), ignored",
      metadata: ["peer": "\(peerAddress)", "stream": "\(stream.id)"])
  }

  // MARK: - Ending

  private func deadlinePassed() {
    switch machine.deadlinePassed() {
    case .fail(let trailersOnly):
      let status = GRPCStatus(.deadlineExceeded, "deadline exceeded")
      failRequest(status, trailersOnly: trailersOnly, reason: .deadlineExceeded)
    case .ignore:
      break
    }
  }

  /// Answers `status` on the server's own account, stops the peer's upload and tells the handler.
  private func failRequest(_ status: GRPCStatus, trailersOnly: Bool, reason: GRPCCallEndReason) {
    stream.resetAfterEnd()
    if trailersOnly {
      stream.sendHeaders(Self.trailersOnly(status), endStream: true)
    } else {
      stream.sendTrailers(Self.trailers(status))
    }
    let handler = self.handler
    callOver()
    handler?.callEnded(reason)
  }

  /// The handler will see nothing more: drop it and the deadline timer.
  private func callOver() {
    handler = nil
    if let deadlineTimer {
      stream.connection.loop.cancelTimer(deadlineTimer)
      self.deadlineTimer = nil
    }
  }

  // MARK: - Status headers

  private static let okTrailers = [HTTP2Header("grpc-status", "0")]

  static func trailers(_ status: GRPCStatus) -> [HTTP2Header] {
    if status.code == .ok && status.message.isEmpty { return okTrailers }
    var headers = [HTTP2Header("grpc-status", String(status.code.rawValue))]
    if !status.message.isEmpty {
      let message = PercentEncoding.encode(
        status.message, keeping: PercentEncoding.isGRPCMessageOctet)
      headers.append(HTTP2Header("grpc-message", message))
    }
    return headers
  }

  static func trailersOnly(_ status: GRPCStatus) -> [HTTP2Header] {
    responseHeaders + trailers(status)
  }
}

@available(*, unavailable)
extension GRPCServerStream: Sendable {}
