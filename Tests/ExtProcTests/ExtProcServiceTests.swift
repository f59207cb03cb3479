import GRPC
import Testing

@testable import ExtProc

/// A test double of the gRPC seam: records what the handler sends and how it finishes the call.
private final class FakeCall: GRPCServerCall {
  let requestMetadata: [GRPCMetadataField]
  let peerAddress = "127.0.0.1:40404"
  private(set) var sent: [ProcessingResponse] = []
  private(set) var finished: GRPCStatus?

  init(metadata: [GRPCMetadataField] = []) {
    self.requestMetadata = metadata
  }

  func send(_ message: [UInt8]) {
    guard finished == nil else { return }
    guard let (response, facts) = WireFixtures.decode(message) else {
      Issue.record("the handler sent bytes that are not a ProcessingResponse")
      return
    }
    #expect(!facts.anyLegacyValueSet)
    sent.append(response)
  }

  func finish(_ status: GRPCStatus) {
    #expect(finished == nil, "finished twice")
    finished = status
  }
}

/// A processor that records what it is given and answers from a script.
private final class RecordingProcessor: Processor {
  var context: ProcessorContext?
  var calls: [String] = []
  var bodyModes: [ProcessingMode.BodySendMode?] = []
  var ends: [ProcessorStreamEnd] = []
  var onRequestHeaders: HeadersDecision = .passThrough
  var onResponseHeaders: HeadersDecision = .passThrough
  var onResponseBody: BodyDecision = .passThrough
  var onRequestBody: BodyDecision = .passThrough

  func processRequestHeaders(_ message: HTTPHeadersMessage) -> HeadersDecision {
    calls.append("request_headers \(message.headers[":path"] ?? "-")")
    return onRequestHeaders
  }

  func processRequestBody(_ body: HTTPBody, mode: ProcessingMode.BodySendMode?) -> BodyDecision {
    calls.append("request_body \(body.bytes.count)")
    bodyModes.append(mode)
    return onRequestBody
  }

  func processResponseHeaders(_ message: HTTPHeadersMessage) -> HeadersDecision {
    calls.append("response_headers \(message.headers[":status"] ?? "-")")
    return onResponseHeaders
  }

  func processResponseBody(_ body: HTTPBody, mode: ProcessingMode.BodySendMode?) -> BodyDecision {
    calls.append("response_body \(body.bytes.count)")
    bodyModes.append(mode)
    return onResponseBody
  }

  func streamEnded(_ end: ProcessorStreamEnd) {
    ends.append(end)
  }
}

@Suite("ExtProcService handler over a fake gRPC call")
struct ExtProcServiceTests {
  static let buffered = ProtocolConfiguration(
    requestBodyMode: .buffered, responseBodyMode: .buffered)

  static let fullExchange: [ProcessingRequest.Message] = [
    .requestHeaders(
      HTTPHeadersMessage(headers: [":method": "POST", ":path": "/v1/chat/completions"])),
    .requestBody(HTTPBody(bytes: Array(#"{"model":"auto"}"#.utf8), endOfStream: false)),
    .requestTrailers(["x-request-trailer": "1"]),
    .responseHeaders(HTTPHeadersMessage(headers: [":status": "200"])),
    .responseBody(HTTPBody(bytes: Array(#"{"id":"1"}"#.utf8), endOfStream: false)),
    .responseTrailers(["x-response-trailer": "2"]),
  ]

  private static func start(
    _ processor: any Processor, metadata: [GRPCMetadataField] = []
  ) -> (FakeCall, any GRPCCallHandler) {
    let call = FakeCall(metadata: metadata)
    // The test runs on one thread; the factory is only called right here.
    nonisolated(unsafe) let processor = processor
    let factory = ExtProcService.handlerFactory(processorFactory: { context in
      (processor as? RecordingProcessor)?.context = context
      return processor
    })
    return (call, factory(call))
  }

  private static func feed(
    _ messages: [ProcessingRequest.Message], to handler: any GRPCCallHandler, on call: FakeCall,
    configuration: ProtocolConfiguration? = buffered
  ) {
    for (index, message) in messages.enumerated() {
      handler.received(
        message: WireFixtures.encode(
          ProcessingRequest(message, protocolConfiguration: index == 0 ? configuration : nil)),
        on: call)
    }
  }

  @Test func methodPath_isEnvoysProcessMethod() {
    #expect(ExtProcService.methodPath == "/envoy.service.ext_proc.v3.ExternalProcessor/Process")
  }

  @Test func passThrough_answersAllSixKindsInOrder_addsItsHeader_andFinishesOK() {
    let (call, handler) = Self.start(PassThroughProcessor())
    Self.feed(Self.fullExchange, to: handler, on: call)
    var added = CommonResponse()
    added.headerMutation.set("x-extproc", "semantic-router")
    #expect(
      call.sent == [
        ProcessingResponse(.requestHeaders(added)),
        ProcessingResponse(.requestBody(CommonResponse())),
        ProcessingResponse(.requestTrailers(HeaderMutation())),
        ProcessingResponse(.responseHeaders(CommonResponse())),
        ProcessingResponse(.responseBody(CommonResponse())),
        ProcessingResponse(.responseTrailers(HeaderMutation())),
      ])
    #expect(call.finished == nil)
    handler.receivedEnd(on: call)
    #expect(call.finished == .ok)
  }

  @Test func processor_seesMetadataMessagesAndBodyModes_andOneNormalEnd() {
    let processor = RecordingProcessor()
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    let (call, handler) = Self.start(
      processor,
      metadata: [
        GRPCMetadataField(name: ":path", value: ExtProcService.methodPath),
        GRPCMetadataField(name: "traceparent", value: traceparent),
      ])
    Self.feed(Self.fullExchange, to: handler, on: call)
    handler.receivedEnd(on: call)
    handler.callEnded(.peerReset(errorCode: 8))
    #expect(processor.context?.metadata["traceparent"] == traceparent)
    #expect(processor.context?.peerAddress == "127.0.0.1:40404")
    #expect(
      processor.calls == [
        "request_headers /v1/chat/completions", "request_body 16", "response_headers 200",
        "response_body 10",
      ])
    #expect(processor.bodyModes == [.buffered, .buffered])
    #expect(processor.ends == [.completed])
    #expect(call.sent.count == 6)
  }

  @Test func laterDecision_holdsLaterMessagesAndTheEnd_untilResolved_thenAnswersInOrder() {
    let processor = RecordingProcessor()
    let later = LaterBodyDecision()
    processor.onRequestBody = .later(later)
    let (call, handler) = Self.start(processor)
    Self.feed(Self.fullExchange, to: handler, on: call)
    handler.receivedEnd(on: call)
    // Only the request headers were answered; the rest waits for the body's decision.
    #expect(call.sent == [ProcessingResponse(.requestHeaders(CommonResponse()))])
    #expect(processor.calls == ["request_headers /v1/chat/completions", "request_body 16"])
    #expect(call.finished == nil)
    var mutation = CommonResponse()
    mutation.headerMutation.set("x-later", "1")
    later.resolve(.respond(mutation))
    #expect(
      call.sent == [
        ProcessingResponse(.requestHeaders(CommonResponse())),
        ProcessingResponse(.requestBody(mutation)),
        ProcessingResponse(.requestTrailers(HeaderMutation())),
        ProcessingResponse(.responseHeaders(CommonResponse())),
        ProcessingResponse(.responseBody(CommonResponse())),
        ProcessingResponse(.responseTrailers(HeaderMutation())),
      ])
    #expect(call.finished == .ok)
    #expect(processor.ends == [.completed])
  }

  @Test func laterDecision_resolvedAfterTheStreamWasCancelled_sendsNothing() {
    let processor = RecordingProcessor()
    let later = LaterBodyDecision()
    processor.onRequestBody = .later(later)
    let (call, handler) = Self.start(processor)
    Self.feed(Array(Self.fullExchange.prefix(2)), to: handler, on: call)
    handler.callEnded(.peerReset(errorCode: 8))
    later.resolve(.passThrough)
    #expect(call.sent.count == 1)
    #expect(processor.ends == [.cancelled])
  }

  @Test func laterDecision_resolvedWithLater_failsTheStreamWithInternal() {
    let processor = RecordingProcessor()
    let later = LaterBodyDecision()
    processor.onRequestBody = .later(later)
    let (call, handler) = Self.start(processor)
    Self.feed(Array(Self.fullExchange.prefix(2)), to: handler, on: call)
    later.resolve(.later(LaterBodyDecision()))
    #expect(call.finished?.code == .internal)
    #expect(processor.ends.count == 1)
  }

  @Test func outOfOrderMessage_closesWithFailedPrecondition_andIgnoresTheRest() {
    let processor = RecordingProcessor()
    let (call, handler) = Self.start(processor)
    Self.feed(
      [Self.fullExchange[0], Self.fullExchange[3], Self.fullExchange[1], Self.fullExchange[4]],
      to: handler, on: call)
    #expect(call.sent.count == 2)
    #expect(call.finished?.code == .failedPrecondition)
    #expect(call.finished?.message.contains("request_body received after response_headers") == true)
    #expect(processor.calls == ["request_headers /v1/chat/completions", "response_headers 200"])
    handler.receivedEnd(on: call)
    handler.callEnded(.connectionClosed)
    #expect(processor.ends.count == 1)
    if case .failed(let why) = processor.ends.first {
      #expect(why.contains("request_body"))
    } else {
      Issue.record("expected a failed end, got \(processor.ends)")
    }
  }

  @Test func malformedMessage_closesWithInvalidArgument() {
    let processor = RecordingProcessor()
    let (call, handler) = Self.start(processor)
    handler.received(message: [0x0A, 0x7F, 0x00], on: call)
    #expect(call.sent.isEmpty)
    #expect(call.finished?.code == .invalidArgument)
    #expect(processor.calls.isEmpty)
    #expect(processor.ends.count == 1)
  }

  @Test func immediateResponse_isSent_andAnyLaterMessageFailsTheStream() {
    let processor = RecordingProcessor()
    processor.onRequestHeaders = .immediate(
      ImmediateResponse(status: 404, body: Array(#"{"error":{"code":"model_not_found"}}"#.utf8)))
    let (call, handler) = Self.start(processor)
    Self.feed([Self.fullExchange[0]], to: handler, on: call)
    #expect(call.sent.count == 1)
    guard case .immediate(let immediate) = call.sent.first?.response else {
      Issue.record("expected an immediate response, got \(call.sent)")
      return
    }
    #expect(immediate.status == 404)
    #expect(call.finished == nil)
    Self.feed([Self.fullExchange[1]], to: handler, on: call, configuration: nil)
    #expect(call.finished?.code == .failedPrecondition)
    #expect(call.sent.count == 1)
  }

  @Test func immediateResponse_thenEnvoyHalfCloses_isANormalEnd() {
    let processor = RecordingProcessor()
    processor.onRequestHeaders = .immediate(ImmediateResponse(status: 429))
    let (call, handler) = Self.start(processor)
    Self.feed([Self.fullExchange[0]], to: handler, on: call)
    handler.receivedEnd(on: call)
    #expect(call.finished == .ok)
    #expect(processor.ends == [.completed])
  }

  @Test(arguments: [
    (GRPCCallEndReason.peerReset(errorCode: 8), ProcessorStreamEnd.cancelled),
    (.deadlineExceeded, .deadlineExceeded),
    (.connectionClosed, .connectionClosed),
    (.serverError(GRPCStatus(.resourceExhausted, "message too large")),
     .failed("message too large")),
  ])
  func callEndedMidStream_isReportedOnce(reason: GRPCCallEndReason, end: ProcessorStreamEnd) {
    let processor = RecordingProcessor()
    let (call, handler) = Self.start(processor)
    Self.feed([Self.fullExchange[0]], to: handler, on: call)
    handler.callEnded(reason)
    handler.callEnded(reason)
    Self.feed([Self.fullExchange[1]], to: handler, on: call, configuration: nil)
    #expect(processor.ends == [end])
    #expect(call.sent.count == 1)
  }

  @Test func sseResponse_switchedToStreamed_answersEveryChunk_withoutHeaderMutations() {
    let processor = RecordingProcessor()
    processor.onResponseHeaders = .respond(
      CommonResponse(),
      modeOverride: ProcessingMode(requestBodyMode: .none, responseBodyMode: .streamed))
    var chunkAnswer = CommonResponse()
    chunkAnswer.headerMutation.set("x-ignored", "1")
    processor.onResponseBody = .respond(chunkAnswer)
    let (call, handler) = Self.start(processor)
    let chunks = (0..<3).map { index in
      ProcessingRequest.Message.responseBody(
        HTTPBody(bytes: Array("data: \(index)\n\n".utf8), endOfStream: index == 2))
    }
    Self.feed(
      [Self.fullExchange[0], Self.fullExchange[1], Self.fullExchange[3]] + chunks,
      to: handler, on: call)
    #expect(call.finished == nil)
    #expect(call.sent.count == 6)
    #expect(call.sent[2].modeOverride?.responseBodyMode == .streamed)
    let passThroughChunk = ProcessingResponse(.responseBody(CommonResponse()))
    #expect(Array(call.sent.suffix(3)) == Array(repeating: passThroughChunk, count: 3))
    #expect(processor.bodyModes == [.buffered, .streamed, .streamed, .streamed])
  }

  @Test func observabilityMode_callsTheProcessor_butSendsNothing() {
    let processor = RecordingProcessor()
    let (call, handler) = Self.start(processor)
    for message in [Self.fullExchange[0], Self.fullExchange[3]] {
      handler.received(
        message: WireFixtures.encode(ProcessingRequest(message, observabilityMode: true)),
        on: call)
    }
    #expect(processor.calls.count == 2)
    #expect(call.sent.isEmpty)
    #expect(call.finished == nil)
  }

  @Test func oneMiBBody_passesThroughTheHandler() {
    final class Replacer: Processor {
      func processRequestBody(
        _ body: HTTPBody, mode: ProcessingMode.BodySendMode?
      ) -> BodyDecision {
        var response = CommonResponse()
        response.replaceBody(with: body.bytes.reversed())
        return .respond(response)
      }
    }
    let (call, handler) = Self.start(Replacer())
    let body = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0) }
    Self.feed(
      [Self.fullExchange[0], .requestBody(HTTPBody(bytes: body, endOfStream: true))],
      to: handler, on: call)
    #expect(call.finished == nil)
    guard case .requestBody(let common) = call.sent.last?.response else {
      Issue.record("expected a request body response")
      return
    }
    #expect(common.bodyMutation == .replace(body.reversed()))
    #expect(common.headerMutation.setHeaders == [.init(name: "content-length", value: "1048576")])
  }
}
