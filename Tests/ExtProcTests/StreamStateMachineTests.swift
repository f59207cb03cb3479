import Testing

@testable import ExtProc

/// Messages and answers used to drive the machine.
private enum M {
  static let requestHeaders = ProcessingRequest.Message.requestHeaders(
    HTTPHeadersMessage(headers: [":method": "POST", ":path": "/v1/chat/completions"]))
  static let requestHeadersEnd = ProcessingRequest.Message.requestHeaders(
    HTTPHeadersMessage(headers: [":method": "GET", ":path": "/"], endOfStream: true))
  static func requestBody(_ end: Bool) -> ProcessingRequest.Message {
    .requestBody(HTTPBody(bytes: Array("{}".utf8), endOfStream: end))
  }
  static let requestTrailers = ProcessingRequest.Message.requestTrailers(["x-t": "1"])
  static let responseHeaders = ProcessingRequest.Message.responseHeaders(
    HTTPHeadersMessage(headers: [":status": "200"]))
  static let responseHeadersEnd = ProcessingRequest.Message.responseHeaders(
    HTTPHeadersMessage(headers: [":status": "204"], endOfStream: true))
  static func responseBody(_ end: Bool) -> ProcessingRequest.Message {
    .responseBody(HTTPBody(bytes: Array("data: x\n\n".utf8), endOfStream: end))
  }
  static let responseTrailers = ProcessingRequest.Message.responseTrailers(["x-t": "2"])

  /// The pass-through answer of the kind matching `message`.
  static func answer(_ message: ProcessingRequest.Message) -> ProcessingResponse {
    switch message {
    case .requestHeaders: ProcessingResponse(.requestHeaders(CommonResponse()))
    case .requestBody: ProcessingResponse(.requestBody(CommonResponse()))
    case .requestTrailers: ProcessingResponse(.requestTrailers(HeaderMutation()))
    case .responseHeaders: ProcessingResponse(.responseHeaders(CommonResponse()))
    case .responseBody: ProcessingResponse(.responseBody(CommonResponse()))
    case .responseTrailers: ProcessingResponse(.responseTrailers(HeaderMutation()))
    }
  }

  static let immediate = ProcessingResponse(.immediate(ImmediateResponse(status: 403)))
}

@Suite("ext_proc stream state machine, without I/O")
struct StreamStateMachineTests {
  /// Drives a new machine through `messages`, answering each with a pass-through response;
  /// the first message carries `configuration`. Returns the machine and the body modes reported.
  static func drive(
    _ messages: [ProcessingRequest.Message], configuration: ProtocolConfiguration? = nil
  ) throws -> (ExtProcStreamStateMachine, [ProcessingMode.BodySendMode?]) {
    var machine = ExtProcStreamStateMachine()
    var modes: [ProcessingMode.BodySendMode?] = []
    for (index, message) in messages.enumerated() {
      let action = try machine.receive(
        ProcessingRequest(message, protocolConfiguration: index == 0 ? configuration : nil))
      #expect(action.expectsResponse)
      modes.append(action.bodyMode)
      _ = try machine.send(M.answer(message))
    }
    return (machine, modes)
  }

  static func expectError(
    _ reason: ExtProcError.Reason, _ code: GRPCStatusCodeName,
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(ExtProcError) -> Void
  ) {
    do {
      try body()
      Issue.record("expected \(reason), nothing thrown", sourceLocation: sourceLocation)
    } catch {
      #expect(error.reason == reason, sourceLocation: sourceLocation)
      #expect("\(error.grpcStatus.code)" == code.rawValue, sourceLocation: sourceLocation)
      #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
    }
  }

  enum GRPCStatusCodeName: String {
    case invalidArgument, failedPrecondition, unimplemented
  }

  // MARK: - Every message kind, in order

  @Test(arguments: [ProcessingMode.BodySendMode.buffered, .bufferedPartial])
  func allSixKinds_inOrder_inOneMessageBodyModes(mode: ProcessingMode.BodySendMode) throws {
    let (machine, modes) = try Self.drive(
      [M.requestHeaders, M.requestBody(false), M.requestTrailers, M.responseHeaders,
       M.responseBody(false), M.responseTrailers],
      configuration: ProtocolConfiguration(requestBodyMode: mode, responseBodyMode: mode))
    #expect(modes == [nil, mode, nil, nil, mode, nil])
    #expect(machine.exchange?.phase == .responseTrailers)
    #expect(machine.exchange?.requestEnded == true)
    #expect(machine.exchange?.responseEnded == true)
    #expect(!machine.isAwaitingResponse)
  }

  @Test func streamedMode_answersEveryChunkInOrder() throws {
    let (machine, modes) = try Self.drive(
      [M.requestHeaders, M.requestBody(false), M.requestBody(false), M.requestBody(true),
       M.responseHeaders, M.responseBody(false), M.responseBody(false), M.responseBody(false),
       M.responseTrailers],
      configuration: ProtocolConfiguration(requestBodyMode: .streamed, responseBodyMode: .streamed))
    #expect(
      modes == [nil, .streamed, .streamed, .streamed, nil, .streamed, .streamed, .streamed, nil])
    #expect(machine.exchange?.responseEnded == true)
  }

  @Test func withoutProtocolConfiguration_bodyModeIsUnknown_andChunksAreAccepted() throws {
    let (_, modes) = try Self.drive(
      [M.requestHeaders, M.requestBody(false), M.requestBody(true), M.responseHeaders,
       M.responseBody(true)])
    #expect(modes == [nil, nil, nil, nil, nil])
  }

  @Test(arguments: [
    [M.responseHeaders],
    [M.requestHeadersEnd, M.responseHeaders, M.responseBody(true)],
    [M.requestBody(true), M.responseBody(true)],
    [M.requestHeaders, M.requestTrailers, M.responseTrailers],
    [M.requestHeaders, M.responseHeadersEnd],
  ])
  func skippedPhases_areAllowed(messages: [ProcessingRequest.Message]) throws {
    _ = try Self.drive(messages)
  }

  // MARK: - Out of order

  @Test(arguments: [
    ([M.requestHeaders, M.responseHeaders], M.requestBody(true)),
    ([M.requestHeaders], M.requestHeaders),
    ([M.requestHeaders, M.responseHeaders], M.responseHeaders),
    ([M.requestHeaders, M.requestTrailers], M.requestBody(true)),
    ([M.responseHeaders, M.responseBody(true)], M.requestTrailers),
    ([M.requestHeaders, M.responseTrailers], M.responseBody(true)),
    ([M.requestHeaders, M.responseTrailers], M.responseTrailers),
    ([M.requestHeaders, M.requestTrailers], M.requestTrailers),
    ([M.responseHeaders], M.requestHeaders),
  ])
  func outOfOrderMessage_isFailedPrecondition(
    before: [ProcessingRequest.Message], late: ProcessingRequest.Message
  ) throws {
    var (machine, _) = try Self.drive(before)
    Self.expectError(.outOfOrder, .failedPrecondition) { () throws(ExtProcError) in
      _ = try machine.receive(ProcessingRequest(late))
    }
    #expect(machine.exchange == nil)
  }

  // MARK: - Unexpected

  @Test(arguments: [ProcessingMode.BodySendMode.buffered, .bufferedPartial])
  func secondBodyMessage_inOneMessageModes_isUnexpected(mode: ProcessingMode.BodySendMode) throws {
    let configuration = ProtocolConfiguration(requestBodyMode: mode, responseBodyMode: mode)
    var (request, _) = try Self.drive(
      [M.requestHeaders, M.requestBody(false)], configuration: configuration)
    Self.expectError(.unexpectedMessage, .failedPrecondition) { () throws(ExtProcError) in
      _ = try request.receive(ProcessingRequest(M.requestBody(true)))
    }
    var (response, _) = try Self.drive(
      [M.requestHeaders, M.responseHeaders, M.responseBody(false)], configuration: configuration)
    Self.expectError(.unexpectedMessage, .failedPrecondition) { () throws(ExtProcError) in
      _ = try response.receive(ProcessingRequest(M.responseBody(false)))
    }
  }

  @Test(arguments: [
    ([M.requestHeadersEnd], M.requestBody(true)),
    ([M.requestHeadersEnd], M.requestTrailers),
    ([M.requestHeaders, M.requestBody(true)], M.requestBody(false)),
    ([M.requestHeaders, M.requestBody(true)], M.requestTrailers),
    ([M.responseHeadersEnd], M.responseBody(true)),
    ([M.responseHeaders, M.responseBody(true)], M.responseBody(true)),
    ([M.responseHeaders, M.responseBody(true)], M.responseTrailers),
  ])
  func messageAfterEndOfStream_isUnexpected(
    before: [ProcessingRequest.Message], late: ProcessingRequest.Message
  ) throws {
    var (machine, _) = try Self.drive(
      before,
      configuration: ProtocolConfiguration(requestBodyMode: .streamed, responseBodyMode: .streamed))
    Self.expectError(.unexpectedMessage, .failedPrecondition) { () throws(ExtProcError) in
      _ = try machine.receive(ProcessingRequest(late))
    }
  }

  @Test func messageBeforeThePreviousWasAnswered_isUnexpected() throws {
    var machine = ExtProcStreamStateMachine()
    _ = try machine.receive(ProcessingRequest(M.requestHeaders))
    #expect(machine.isAwaitingResponse)
    Self.expectError(.unexpectedMessage, .failedPrecondition) { () throws(ExtProcError) in
      _ = try machine.receive(ProcessingRequest(M.requestBody(true)))
    }
  }

  @Test func responseWithNothingToAnswer_orOfTheWrongKind_isRejected() throws {
    var idle = ExtProcStreamStateMachine()
    Self.expectError(.unexpectedMessage, .failedPrecondition) { () throws(ExtProcError) in
      _ = try idle.send(M.answer(M.requestHeaders))
    }
    var machine = ExtProcStreamStateMachine()
    _ = try machine.receive(ProcessingRequest(M.requestHeaders))
    Self.expectError(.unexpectedMessage, .failedPrecondition) { () throws(ExtProcError) in
      _ = try machine.send(M.answer(M.responseHeaders))
    }
  }

  @Test func everyMessageAfterAFailure_isRejected() throws {
    var (machine, _) = try Self.drive([M.requestHeaders])
    #expect(throws: ExtProcError.self) { try machine.receive(ProcessingRequest(M.requestHeaders)) }
    #expect(throws: ExtProcError.self) { try machine.receive(ProcessingRequest(M.responseHeaders)) }
    #expect(machine.exchange == nil)
  }

  @Test(arguments: [ProcessingMode.BodySendMode.fullDuplexStreamed, .grpc])
  func unsupportedBodyMode_isUnimplemented(mode: ProcessingMode.BodySendMode) {
    var machine = ExtProcStreamStateMachine()
    Self.expectError(.unsupportedBodyMode, .unimplemented) { () throws(ExtProcError) in
      _ = try machine.receive(
        ProcessingRequest(
          M.requestHeaders,
          protocolConfiguration: ProtocolConfiguration(
            requestBodyMode: .buffered, responseBodyMode: mode)))
    }
  }

  // MARK: - Immediate response

  @Test(arguments: [
    [M.requestHeaders], [M.requestHeaders, M.requestBody(true)],
    [M.requestHeaders, M.requestTrailers], [M.responseHeaders],
    [M.responseHeaders, M.responseBody(false)], [M.responseTrailers],
  ])
  func anyMessageAfterAnImmediateResponse_isRejected(
    messages: [ProcessingRequest.Message]
  ) throws {
    var (machine, _) = try Self.drive(Array(messages.dropLast()))
    _ = try machine.receive(ProcessingRequest(messages.last!))
    let sent = try machine.send(M.immediate)
    #expect(sent.response == M.immediate)
    #expect(machine.exchange == nil)
    Self.expectError(.afterImmediateResponse, .failedPrecondition) { () throws(ExtProcError) in
      _ = try machine.receive(ProcessingRequest(M.responseTrailers))
    }
  }

  // MARK: - Body modes and overrides

  @Test func modeOverrideInRequestHeadersResponse_setsBothBodyModes() throws {
    var machine = ExtProcStreamStateMachine()
    _ = try machine.receive(
      ProcessingRequest(
        M.requestHeaders,
        protocolConfiguration: ProtocolConfiguration(
          requestBodyMode: .buffered, responseBodyMode: .buffered)))
    _ = try machine.send(
      ProcessingResponse(
        .requestHeaders(CommonResponse()),
        modeOverride: ProcessingMode(requestBodyMode: .buffered, responseBodyMode: .streamed)))
    #expect(try machine.receive(ProcessingRequest(M.requestBody(true))).bodyMode == .buffered)
    _ = try machine.send(M.answer(M.requestBody(true)))
    _ = try machine.receive(ProcessingRequest(M.responseHeaders))
    _ = try machine.send(M.answer(M.responseHeaders))
    for end in [false, false, true] {
      #expect(try machine.receive(ProcessingRequest(M.responseBody(end))).bodyMode == .streamed)
      _ = try machine.send(M.answer(M.responseBody(end)))
    }
  }

  @Test func modeOverrideInResponseHeadersResponse_switchesBufferedToStreamed() throws {
    var (machine, _) = try Self.drive(
      [M.requestHeaders, M.requestBody(true)],
      configuration: ProtocolConfiguration(requestBodyMode: .buffered, responseBodyMode: .buffered))
    _ = try machine.receive(ProcessingRequest(M.responseHeaders))
    _ = try machine.send(
      ProcessingResponse(
        .responseHeaders(CommonResponse()),
        modeOverride: ProcessingMode(requestBodyMode: .none, responseBodyMode: .streamed)))
    #expect(machine.exchange?.requestBodyMode == .buffered)
    #expect(machine.exchange?.responseBodyMode == .streamed)
    _ = try machine.receive(ProcessingRequest(M.responseBody(false)))
    _ = try machine.send(M.answer(M.responseBody(false)))
    #expect(try machine.receive(ProcessingRequest(M.responseBody(true))).bodyMode == .streamed)
  }

  @Test func headerMutationInStreamedBodyResponse_isDropped_butKeptWhenBuffered() throws {
    var mutated = CommonResponse(bodyMutation: .replace(Array("data: y\n\n".utf8)))
    mutated.headerMutation.set("content-length", "9")
    for (mode, dropped) in [(ProcessingMode.BodySendMode.streamed, true), (.buffered, false)] {
      var (machine, _) = try Self.drive(
        [M.requestHeaders, M.responseHeaders],
        configuration: ProtocolConfiguration(responseBodyMode: mode))
      _ = try machine.receive(ProcessingRequest(M.responseBody(false)))
      let sent = try machine.send(ProcessingResponse(.responseBody(mutated)))
      #expect(sent.droppedHeaderMutation == dropped)
      guard case .responseBody(let common) = sent.response.response else {
        Issue.record("wrong kind")
        continue
      }
      #expect(common.headerMutation.isEmpty == dropped)
      #expect(common.bodyMutation == mutated.bodyMutation)
    }
  }

  @Test func modeOverrideOutsideAHeadersResponse_isNotSent() throws {
    var (machine, _) = try Self.drive([M.requestHeaders])
    _ = try machine.receive(ProcessingRequest(M.requestBody(true)))
    let sent = try machine.send(
      ProcessingResponse(
        .requestBody(CommonResponse()), modeOverride: ProcessingMode(responseBodyMode: .streamed)))
    #expect(sent.response.modeOverride == nil)
    #expect(machine.exchange?.responseBodyMode == nil)
  }

  @Test func bodyWhileTheModeSaysNone_makesTheModeUnknown() throws {
    let (_, modes) = try Self.drive(
      [M.requestHeaders, M.requestBody(true), M.responseHeaders, M.responseBody(true)],
      configuration: ProtocolConfiguration(requestBodyMode: .none, responseBodyMode: .buffered))
    #expect(modes == [nil, nil, nil, .buffered])
  }

  // MARK: - Observability mode

  @Test func observabilityMode_expectsNoResponse_andKeepsCheckingOrder() throws {
    var machine = ExtProcStreamStateMachine()
    for message in [M.requestHeaders, M.requestBody(true), M.responseHeaders] {
      let action = try machine.receive(ProcessingRequest(message, observabilityMode: true))
      #expect(!action.expectsResponse)
      #expect(!machine.isAwaitingResponse)
    }
    Self.expectError(.outOfOrder, .failedPrecondition) { () throws(ExtProcError) in
      _ = try machine.receive(ProcessingRequest(M.requestTrailers, observabilityMode: true))
    }
  }
}
