import Testing

@testable import ExtProc

@Suite("ext_proc codec: protobuf-c wire bytes ⇄ Swift values")
struct CodecTests {
  static let requestHeaders: HTTPHeaders = [
    ":method": "POST", ":path": "/v1/chat/completions", ":authority": "localhost:8000",
    "content-type": "application/json",
    "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  ]

  // MARK: - Requests

  @Test func requestHeaders_fromRawValue_keepOrderPseudoHeadersAndEndOfStream() throws {
    let sent = ProcessingRequest(
      .requestHeaders(HTTPHeadersMessage(headers: Self.requestHeaders, endOfStream: true)))
    let decoded = try ProcessingRequest(decoding: WireFixtures.encode(sent))
    #expect(decoded == sent)
    guard case .requestHeaders(let message) = decoded.message else {
      Issue.record("wrong kind \(decoded.message)")
      return
    }
    #expect(message.headers.map(\.name) == Self.requestHeaders.map(\.name))
    #expect(message.headers[":path"] == "/v1/chat/completions")
    #expect(message.headers["Content-Type"] == "application/json")
    #expect(message.endOfStream)
  }

  @Test func headerValue_fallsBackToValue_onlyWhenRawValueIsEmpty() throws {
    let sent = ProcessingRequest(.responseHeaders(HTTPHeadersMessage(headers: [":status": "200"])))
    let legacy = try ProcessingRequest(decoding: WireFixtures.encode(sent, values: .value))
    #expect(legacy == sent)
    let both = try ProcessingRequest(
      decoding: WireFixtures.encode(sent, values: .both(legacy: "999")))
    #expect(both == sent)
  }

  @Test func repeatedHeaderNames_areAllKept_inOrder() throws {
    var headers = HTTPHeaders()
    headers.append(name: "set-cookie", value: "a=1")
    headers.append(name: "x-other", value: "o")
    headers.append(name: "Set-Cookie", value: "b=2")
    let sent = ProcessingRequest(.responseHeaders(HTTPHeadersMessage(headers: headers)))
    let decoded = try ProcessingRequest(decoding: WireFixtures.encode(sent))
    guard case .responseHeaders(let message) = decoded.message else {
      Issue.record("wrong kind")
      return
    }
    #expect(message.headers.values(for: "set-cookie") == ["a=1", "b=2"])
    #expect(message.headers["SET-COOKIE"] == "a=1")
    #expect(!message.headers.contains("cookie"))
  }

  @Test(arguments: [0, 1, 2048, 1 << 20])
  func bodies_roundTripByteForByte(size: Int) throws {
    let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    for message in [
      ProcessingRequest.Message.requestBody(HTTPBody(bytes: bytes, endOfStream: true)),
      .responseBody(HTTPBody(bytes: bytes, endOfStream: false)),
    ] {
      let sent = ProcessingRequest(message)
      #expect(try ProcessingRequest(decoding: WireFixtures.encode(sent)) == sent)
    }
  }

  @Test func trailers_protocolConfiguration_andObservabilityMode_decode() throws {
    let configuration = ProtocolConfiguration(
      requestBodyMode: .buffered, responseBodyMode: .streamed,
      sendBodyWithoutWaitingForHeaderResponse: true)
    for sent in [
      ProcessingRequest(.requestTrailers(["x-checksum": "abc"])),
      ProcessingRequest(.responseTrailers(["grpc-status": "0", "grpc-message": ""])),
      ProcessingRequest(
        .requestHeaders(HTTPHeadersMessage(headers: Self.requestHeaders)),
        observabilityMode: true, protocolConfiguration: configuration),
    ] {
      #expect(try ProcessingRequest(decoding: WireFixtures.encode(sent)) == sent)
    }
  }

  @Test func invalidUTF8InRawValue_decodesWithReplacementCharacter() throws {
    let bytes = WireFixtures.encode(
      ProcessingRequest(.requestHeaders(HTTPHeadersMessage(headers: ["x-bin": "ab"]))))
    // "ab" is the last two bytes of the message; make the second one invalid UTF-8.
    var mangled = bytes
    mangled[mangled.count - 1] = 0xFF
    let decoded = try ProcessingRequest(decoding: mangled)
    guard case .requestHeaders(let message) = decoded.message else {
      Issue.record("wrong kind")
      return
    }
    #expect(message.headers["x-bin"] == "a\u{FFFD}")
  }

  @Test func garbageBytes_areMalformedMessage() {
    #expect(throws: ExtProcError.self) {
      try ProcessingRequest(decoding: [0x12, 0x05, 0x01])  // length runs past the end
    }
    do {
      _ = try ProcessingRequest(decoding: [0xFF, 0xFF, 0xFF])
      Issue.record("garbage decoded")
    } catch {
      #expect(error.reason == .malformedMessage)
      #expect(error.grpcStatus.code == .invalidArgument)
    }
  }

  @Test func requestWithoutMessageKind_isMissingMessageKind() {
    for bytes in [[], WireFixtures.encodeEmptyRequest()] {
      do {
        _ = try ProcessingRequest(decoding: bytes)
        Issue.record("empty request decoded")
      } catch {
        #expect(error.reason == .missingMessageKind)
        #expect(error.grpcStatus.code == .invalidArgument)
      }
    }
  }

  @Test func unknownBodyModeInProtocolConfiguration_isMalformedMessage() {
    do {
      _ = try ProcessingRequest(decoding: WireFixtures.encodeUnknownBodyMode(9))
      Issue.record("unknown mode decoded")
    } catch {
      #expect(error.reason == .malformedMessage)
    }
  }

  // MARK: - Responses

  @Test func passThroughHeadersResponse_matchesHandEncodedProtobuf() {
    var common = CommonResponse()
    common.headerMutation.set("x-extproc", "semantic-router")
    let bytes = ProcessingResponse(.requestHeaders(common)).encoded()
    // ProcessingResponse.request_headers(1) > HeadersResponse.response(1) >
    // CommonResponse.header_mutation(2) > HeaderMutation.set_headers(1) >
    // HeaderValueOption.header(1) > HeaderValue{key(1), raw_value(3)}
    let expected: [UInt8] =
      [0x0A, 36, 0x0A, 34, 0x12, 32, 0x0A, 30, 0x0A, 28, 0x0A, 9] + Array("x-extproc".utf8)
      + [0x1A, 15] + Array("semantic-router".utf8)
    #expect(bytes == expected)
  }

  @Test func headerMutations_writeOnlyRawValue_andLeaveAppendUnsetForOverwrite() throws {
    var common = CommonResponse(clearRouteCache: true)
    common.headerMutation.set("X-Selected-Model", "qwen3-8b")
    common.headerMutation.set("x-selected-cluster", "backend_a")
    common.headerMutation.set("x-tag", "two", append: true)
    common.headerMutation.remove("x-drop-me")
    common.headerMutation.remove("content-length")
    let sent = ProcessingResponse(.requestHeaders(common))
    let (decoded, facts) = try #require(WireFixtures.decode(sent.encoded()))
    #expect(decoded == sent)
    #expect(facts == WireFixtures.WireFacts())
    guard case .requestHeaders(let back) = decoded.response else { return }
    #expect(back.headerMutation.setHeaders.first?.name == "x-selected-model")
    #expect(back.headerMutation.setHeaders.last?.append == true)
    #expect(back.clearRouteCache)
  }

  @Test func bufferedBodyReplacement_setsContentLength_andRoundTrips1MiB() throws {
    let body = [UInt8](repeating: 0x61, count: 1 << 20)
    var common = CommonResponse()
    common.headerMutation.set("content-length", "12")
    common.replaceBody(with: body)
    #expect(common.headerMutation.setHeaders == [.init(name: "content-length", value: "1048576")])
    let responses = [
      ProcessingResponse(.requestBody(common)), ProcessingResponse(.responseBody(common)),
    ]
    for sent in responses {
      let (decoded, facts) = try #require(WireFixtures.decode(sent.encoded()))
      #expect(decoded == sent)
      #expect(!facts.anyLegacyValueSet)
    }
  }

  @Test func clearBody_continueAndReplace_andEmptyResponses_roundTrip() throws {
    for sent in [
      ProcessingResponse(.requestBody(CommonResponse(bodyMutation: .clear))),
      ProcessingResponse(
        .requestHeaders(
          CommonResponse(status: .continueAndReplace, bodyMutation: .replace(Array("{}".utf8))))),
      ProcessingResponse(.responseHeaders(CommonResponse())),
      ProcessingResponse(.responseBody(CommonResponse())),
    ] {
      let (decoded, _) = try #require(WireFixtures.decode(sent.encoded()))
      #expect(decoded == sent)
    }
  }

  @Test func trailersResponses_roundTrip() throws {
    var mutation = HeaderMutation()
    mutation.set("x-trailer", "t")
    mutation.remove("grpc-message")
    for sent in [
      ProcessingResponse(.requestTrailers(mutation)),
      ProcessingResponse(.responseTrailers(mutation)),
      ProcessingResponse(.responseTrailers(HeaderMutation())),
    ] {
      let (decoded, _) = try #require(WireFixtures.decode(sent.encoded()))
      #expect(decoded == sent)
    }
  }

  @Test(arguments: [200, 404, 418, 429, 503])
  func immediateResponse_roundTrips(status: Int) throws {
    var headers = HeaderMutation()
    headers.set("content-type", "application/json")
    headers.set("x-vsr-cache-hit", "true")
    let immediate = ImmediateResponse(
      status: status, headers: headers,
      body: Array(#"{"error":{"message":"no","type":"invalid_request_error"}}"#.utf8),
      details: "semantic_router_rejected", grpcStatus: status == 503 ? 14 : nil)
    let sent = ProcessingResponse(.immediate(immediate))
    let (decoded, facts) = try #require(WireFixtures.decode(sent.encoded()))
    #expect(decoded == sent)
    #expect(facts == WireFixtures.WireFacts())
  }

  @Test func immediateResponse_with1MiBBody_roundTrips() throws {
    let sent = ProcessingResponse(
      .immediate(ImmediateResponse(status: 200, body: [UInt8](repeating: 0x7A, count: 1 << 20))))
    let (decoded, _) = try #require(WireFixtures.decode(sent.encoded()))
    #expect(decoded == sent)
  }

  @Test func modeOverride_roundTrips() throws {
    let mode = ProcessingMode(
      requestHeaderMode: .send, responseHeaderMode: .send, requestBodyMode: .buffered,
      responseBodyMode: .streamed, requestTrailerMode: .skip, responseTrailerMode: .send)
    let sent = ProcessingResponse(.responseHeaders(CommonResponse()), modeOverride: mode)
    let (decoded, _) = try #require(WireFixtures.decode(sent.encoded()))
    #expect(decoded == sent)
  }

  @Test func manyHeaders_overflowTheArenaBlock_andStillEncode() throws {
    var common = CommonResponse()
    for index in 0..<200 {
      common.headerMutation.set("x-header-\(index)", String(repeating: "v", count: index * 7))
    }
    let sent = ProcessingResponse(.responseHeaders(common))
    let (decoded, _) = try #require(WireFixtures.decode(sent.encoded()))
    #expect(decoded == sent)
  }
}
