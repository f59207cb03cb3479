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

  init(processor: any Processor, logger: Logger, metrics: ExtProcMetrics?) {
    self.processor = processor
    self.logger = logger
    self.metrics = metrics
  }

  func received(message: [UInt8], on call: any GRPCServerCall) {
    guard !ended else { return }
    let started = ContinuousClock.now
    defer { metrics?.messageDuration.observe(ContinuousClock.now - started) }
    do throws(ExtProcError) {
      let request = try ProcessingRequest(decoding: message)
      let action = try machine.receive(request)
      let response = decide(request.message, bodyMode: action.bodyMode)
      // In observability mode Envoy neither waits for nor reads responses.
      guard action.expectsResponse else { return }
      let onSend = try machine.send(response)
      if onSend.droppedHeaderMutation {
        logger.debug(
          "ext_proc: header mutation in a STREAMED body response dropped (Envoy ignores it)",
          metadata: ["peer": "\(call.peerAddress)"])
      }
      call.send(onSend.response.encoded())
    } catch {
      // A peer can fail streams as fast as it opens them: one line per interval, all counted.
      LogRateLimiter.shared.log(
        .warning, kind: "extproc.stream_failed", to: logger,
        "ext_proc stream closed: \(error.message)",
        metadata: ["peer": "\(call.peerAddress)", "grpc-status": "\(error.grpcStatus.code)"])
      call.finish(error.grpcStatus)
      metrics?.protocolErrors.increment()
      end(.failed(error.message))
    }
  }

  func receivedEnd(on call: any GRPCServerCall) {
    guard !ended else { return }
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

  private func end(_ reason: ProcessorStreamEnd) {
    ended = true
    metrics?.streamEnded(reason)
    processor.streamEnded(reason)
  }

  /// Asks the processor about one message and wraps its decision as the matching response.
  private func decide(
    _ message: ProcessingRequest.Message, bodyMode: ProcessingMode.BodySendMode?
  ) -> ProcessingResponse {
    switch message {
    case .requestHeaders(let headers):
      return Self.response(
        processor.processRequestHeaders(headers), as: ProcessingResponse.Response.requestHeaders)
    case .responseHeaders(let headers):
      return Self.response(
        processor.processResponseHeaders(headers), as: ProcessingResponse.Response.responseHeaders)
    case .requestBody(let body):
      switch processor.processRequestBody(body, mode: bodyMode) {
      case .respond(let common): return ProcessingResponse(.requestBody(common))
      case .immediate(let immediate): return ProcessingResponse(.immediate(immediate))
      }
    case .responseBody(let body):
      switch processor.processResponseBody(body, mode: bodyMode) {
      case .respond(let common): return ProcessingResponse(.responseBody(common))
      case .immediate(let immediate): return ProcessingResponse(.immediate(immediate))
      }
    case .requestTrailers(let trailers):
      switch processor.processRequestTrailers(trailers) {
      case .respond(let mutation): return ProcessingResponse(.requestTrailers(mutation))
      case .immediate(let immediate): return ProcessingResponse(.immediate(immediate))
      }
    case .responseTrailers(let trailers):
      switch processor.processResponseTrailers(trailers) {
      case .respond(let mutation): return ProcessingResponse(.responseTrailers(mutation))
      case .immediate(let immediate): return ProcessingResponse(.immediate(immediate))
      }
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
