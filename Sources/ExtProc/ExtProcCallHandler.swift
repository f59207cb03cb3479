import GRPC
import Logging
import Metrics
import Transport

/// Drives one ext_proc stream: decodes each message, checks it against the stream's state
/// machine, asks the processor, and sends the encoded answer. Loop-thread confined.
final class ExtProcCallHandler: GRPCCallHandler {
  private var machine = ExtProcStreamStateMachine()
  private let processor: any Processor
  private let logger: Logger
  private let metrics: ExtProcMetrics?
  /// Set once the processor was told the stream ended; nothing is handled afterwards.
  private var ended = false
  /// The decision the processor gives later, while it is awaited.
  private var waitingForLater: LaterBodyDecision?
  /// Messages (and the end of the stream) that arrived while a later decision was awaited.
  private var queued: [[UInt8]] = []
  private var endQueued = false

  init(processor: any Processor, logger: Logger, metrics: ExtProcMetrics?) {
    self.processor = processor
    self.logger = logger
    self.metrics = metrics
  }

  func received(message: [UInt8], on call: any GRPCServerCall) {
    guard !ended else { return }
    // A decision given later keeps answers in order: what follows waits for it.
    guard waitingForLater == nil else {
      queued.append(message)
      return
    }
    handle(message, on: call)
  }

  func receivedEnd(on call: any GRPCServerCall) {
    guard !ended else { return }
    guard waitingForLater == nil else {
      endQueued = true
      return
    }
    call.finish(.ok)
    end(.completed)
  }

  func callEnded(_ reason: GRPCCallEndReason) {
    guard !ended else { return }
    switch reason {
    case .peerReset: end(.cancelled)
    case .deadlineExceeded: end(.deadlineExceeded)
    case .connectionClosed: end(.connectionClosed)
    case .serverError(let status): end(.failed(status.message))
    }
  }

  /// Handles one message: the processor's decision is sent now, or once it resolves.
  private func handle(_ message: [UInt8], on call: any GRPCServerCall) {
    let started = ContinuousClock.now
    defer { metrics?.messageDuration.observe(ContinuousClock.now - started) }
    do throws(ExtProcError) {
      let request = try ProcessingRequest(decoding: message)
      let action = try machine.receive(request)
      switch decide(request.message, bodyMode: action.bodyMode) {
      case .now(let response):
        try send(response, action: action, on: call)
      case .later(let later, let kind):
        waitingForLater = later
        later.whenResolved { [weak self, weak call] decision in
          guard let self, let call, !self.ended, self.waitingForLater === later else { return }
          self.resume(decision, kind: kind, action: action, on: call)
        }
      }
    } catch {
      fail(error, on: call)
    }
  }

  /// Sends a decision given later, then handles what waited for it.
  private func resume(
    _ decision: BodyDecision, kind: BodyKind, action: ExtProcStreamStateMachine.OnReceive,
    on call: any GRPCServerCall
  ) {
    waitingForLater = nil
    do throws(ExtProcError) {
      guard let response = Self.response(decision, kind: kind) else {
        throw ExtProcError(.processorMisuse, "a later body decision resolved to .later")
      }
      try send(response, action: action, on: call)
    } catch {
      fail(error, on: call)
      return
    }
    while !ended, waitingForLater == nil, !queued.isEmpty {
      handle(queued.removeFirst(), on: call)
    }
    if !ended, waitingForLater == nil, endQueued {
      call.finish(.ok)
      end(.completed)
    }
  }

  private func send(
    _ response: ProcessingResponse, action: ExtProcStreamStateMachine.OnReceive,
    on call: any GRPCServerCall
  ) throws(ExtProcError) {
    // In observability mode Envoy neither waits for nor reads responses.
    guard action.expectsResponse else { return }
    let onSend = try machine.send(response)
    if onSend.droppedHeaderMutation {
      logger.debug(
        "ext_proc: header mutation in a STREAMED body response dropped (Envoy ignores it)",
        metadata: ["peer": "\(call.peerAddress)"])
    }
    call.send(onSend.response.encoded())
  }

  private func fail(_ error: ExtProcError, on call: any GRPCServerCall) {
    // A peer can fail streams as fast as it opens them: one line per interval, all counted.
    LogRateLimiter.shared.log(
      .warning, kind: "extproc.stream_failed", to: logger,
      "ext_proc stream closed: \(error.message)",
      metadata: ["peer": "\(call.peerAddress)", "grpc-status": "\(error.grpcStatus.code)"])
    call.finish(error.grpcStatus)
    metrics?.protocolErrors.increment()
    end(.failed(error.message))
  }

  private func end(_ reason: ProcessorStreamEnd) {
    ended = true
    waitingForLater = nil
    queued = []
    metrics?.streamEnded(reason)
    processor.streamEnded(reason)
  }

  /// Which body a decision answers.
  private enum BodyKind {
    case request, response
  }

  /// A response to send now, or a decision the processor gives later.
  private enum Outcome {
    case now(ProcessingResponse)
    case later(LaterBodyDecision, BodyKind)
  }

  /// Asks the processor about one message and wraps its decision as the matching response.
  private func decide(
    _ message: ProcessingRequest.Message, bodyMode: ProcessingMode.BodySendMode?
  ) -> Outcome {
    switch message {
    case .requestHeaders(let headers):
      return .now(
        Self.response(
          processor.processRequestHeaders(headers),
          as: ProcessingResponse.Response.requestHeaders))
    case .responseHeaders(let headers):
      return .now(
        Self.response(
          processor.processResponseHeaders(headers),
          as: ProcessingResponse.Response.responseHeaders))
    case .requestBody(let body):
      return Self.outcome(processor.processRequestBody(body, mode: bodyMode), kind: .request)
    case .responseBody(let body):
      return Self.outcome(processor.processResponseBody(body, mode: bodyMode), kind: .response)
    case .requestTrailers(let trailers):
      switch processor.processRequestTrailers(trailers) {
      case .respond(let mutation): return .now(ProcessingResponse(.requestTrailers(mutation)))
      case .immediate(let immediate): return .now(ProcessingResponse(.immediate(immediate)))
      }
    case .responseTrailers(let trailers):
      switch processor.processResponseTrailers(trailers) {
      case .respond(let mutation): return .now(ProcessingResponse(.responseTrailers(mutation)))
      case .immediate(let immediate): return .now(ProcessingResponse(.immediate(immediate)))
      }
    }
  }

  private static func outcome(_ decision: BodyDecision, kind: BodyKind) -> Outcome {
    if case .later(let later) = decision { return .later(later, kind) }
    // Only `.later` has no response.
    return .now(response(decision, kind: kind)!)
  }

  /// The response for a body decision; nil for `.later`.
  private static func response(_ decision: BodyDecision, kind: BodyKind) -> ProcessingResponse? {
    switch decision {
    case .respond(let common):
      ProcessingResponse(kind == .request ? .requestBody(common) : .responseBody(common))
    case .immediate(let immediate): ProcessingResponse(.immediate(immediate))
    case .later: nil
    }
  }

  private static func response(
    _ decision: HeadersDecision, as kind: (CommonResponse) -> ProcessingResponse.Response
  ) -> ProcessingResponse {
    switch decision {
    case .respond(let common, let modeOverride):
      ProcessingResponse(kind(common), modeOverride: modeOverride)
    case .immediate(let immediate):
      ProcessingResponse(.immediate(immediate))
    }
  }
}
