import CGeneratedProtos
@testable import ExtProc

/// Test-side protobuf-c code, written independently of the library's codec: builds
/// ProcessingRequests the way Envoy sends them, and reads ProcessingResponses back field by field.
enum WireFixtures {
  /// Where a fixture puts header values.
  enum ValueField {
    /// `raw_value` only, as Envoy 1.32+ does.
    case rawValue
    /// `value` only, as older Envoy did.
    case value
    /// `value` set to `legacy`, `raw_value` to the real value.
    case both(legacy: String)
  }

  // MARK: - Requests

  /// A ProcessingRequest packed by protobuf-c.
  static func encode(_ request: ProcessingRequest, values: ValueField = .rawValue) -> [UInt8] {
    var arena = CArena(capacity: 4096)
    var message = Envoy__Service__ExtProc__V3__ProcessingRequest()
    envoy__service__ext_proc__v3__processing_request__init(&message)
    switch request.message {
    case .requestHeaders(let headers):
      message.request_case =
        ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_REQUEST__REQUEST_REQUEST_HEADERS
      message.request_headers = httpHeaders(headers, values, &arena)
    case .responseHeaders(let headers):
      message.request_case =
        ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_REQUEST__REQUEST_RESPONSE_HEADERS
      message.response_headers = httpHeaders(headers, values, &arena)
    case .requestBody(let body):
      message.request_case = ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_REQUEST__REQUEST_REQUEST_BODY
      message.request_body = httpBody(body, &arena)
    case .responseBody(let body):
      message.request_case = ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_REQUEST__REQUEST_RESPONSE_BODY
      message.response_body = httpBody(body, &arena)
    case .requestTrailers(let trailers):
      message.request_case =
        ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_REQUEST__REQUEST_REQUEST_TRAILERS
      message.request_trailers = httpTrailers(trailers, values, &arena)
    case .responseTrailers(let trailers):
      message.request_case =
        ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_REQUEST__REQUEST_RESPONSE_TRAILERS
      message.response_trailers = httpTrailers(trailers, values, &arena)
    }
    message.observability_mode = request.observabilityMode ? 1 : 0
    if let configuration = request.protocolConfiguration {
      var config = Envoy__Service__ExtProc__V3__ProtocolConfiguration()
      envoy__service__ext_proc__v3__protocol_configuration__init(&config)
      config.request_body_mode = .init(rawValue: UInt32(configuration.requestBodyMode.rawValue))
      config.response_body_mode = .init(rawValue: UInt32(configuration.responseBodyMode.rawValue))
      config.send_body_without_waiting_for_header_response =
        configuration.sendBodyWithoutWaitingForHeaderResponse ? 1 : 0
      message.protocol_config = arena.new(config)
    }
    return pack(&message)
  }

  /// A ProcessingRequest with no message set and only `observability_mode` (field 10).
  static func encodeEmptyRequest() -> [UInt8] {
    var message = Envoy__Service__ExtProc__V3__ProcessingRequest()
    envoy__service__ext_proc__v3__processing_request__init(&message)
    message.observability_mode = 1
    return pack(&message)
  }

  /// A ProcessingRequest whose protocol_config names a body mode number unknown to us.
  static func encodeUnknownBodyMode(_ raw: UInt32) -> [UInt8] {
    var arena = CArena(capacity: 1024)
    var message = Envoy__Service__ExtProc__V3__ProcessingRequest()
    envoy__service__ext_proc__v3__processing_request__init(&message)
    message.request_case = ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_REQUEST__REQUEST_REQUEST_HEADERS
    message.request_headers = httpHeaders(
      HTTPHeadersMessage(headers: [":path": "/"]), .rawValue, &arena)
    var config = Envoy__Service__ExtProc__V3__ProtocolConfiguration()
    envoy__service__ext_proc__v3__protocol_configuration__init(&config)
    config.request_body_mode = .init(rawValue: raw)
    message.protocol_config = arena.new(config)
    return pack(&message)
  }

  private static func pack(
    _ message: inout Envoy__Service__ExtProc__V3__ProcessingRequest
  ) -> [UInt8] {
    let size = envoy__service__ext_proc__v3__processing_request__get_packed_size(&message)
    var bytes = [UInt8](repeating: 0, count: size)
    let written = bytes.withUnsafeMutableBufferPointer {
      envoy__service__ext_proc__v3__processing_request__pack(&message, $0.baseAddress!)
    }
    precondition(written == size)
    return bytes
  }

  private static func httpHeaders(
    _ message: HTTPHeadersMessage, _ values: ValueField, _ arena: inout CArena
  ) -> UnsafeMutablePointer<Envoy__Service__ExtProc__V3__HttpHeaders> {
    var headers = Envoy__Service__ExtProc__V3__HttpHeaders()
    envoy__service__ext_proc__v3__http_headers__init(&headers)
    headers.headers = headerMap(message.headers, values, &arena)
    headers.end_of_stream = message.endOfStream ? 1 : 0
    return arena.new(headers)
  }

  private static func httpTrailers(
    _ trailers: HTTPHeaders, _ values: ValueField, _ arena: inout CArena
  ) -> UnsafeMutablePointer<Envoy__Service__ExtProc__V3__HttpTrailers> {
    var message = Envoy__Service__ExtProc__V3__HttpTrailers()
    envoy__service__ext_proc__v3__http_trailers__init(&message)
    message.trailers = headerMap(trailers, values, &arena)
    return arena.new(message)
  }

  private static func httpBody(
    _ body: HTTPBody, _ arena: inout CArena
  ) -> UnsafeMutablePointer<Envoy__Service__ExtProc__V3__HttpBody> {
    var message = Envoy__Service__ExtProc__V3__HttpBody()
    envoy__service__ext_proc__v3__http_body__init(&message)
    if !body.bytes.isEmpty {
      let storage = arena.array(of: UInt8.self, count: body.bytes.count)
      storage.initialize(from: body.bytes, count: body.bytes.count)
      message.body = ProtobufCBinaryData(len: body.bytes.count, data: storage)
    }
    message.end_of_stream = body.endOfStream ? 1 : 0
    return arena.new(message)
  }

  private static func headerMap(
    _ headers: HTTPHeaders, _ values: ValueField, _ arena: inout CArena
  ) -> UnsafeMutablePointer<Envoy__Config__Core__V3__HeaderMap> {
    var map = Envoy__Config__Core__V3__HeaderMap()
    envoy__config__core__v3__header_map__init(&map)
    let entries = arena.array(
      of: UnsafeMutablePointer<Envoy__Config__Core__V3__HeaderValue>?.self, count: headers.count)
    for (index, field) in headers.enumerated() {
      var value = Envoy__Config__Core__V3__HeaderValue()
      envoy__config__core__v3__header_value__init(&value)
      value.key = arena.cString(field.name)
      switch values {
      case .rawValue:
        let raw = arena.bytes(field.value)
        value.raw_value = ProtobufCBinaryData(len: raw.count, data: raw.pointer)
      case .value:
        value.value = arena.cString(field.value)
      case .both(let legacy):
        value.value = arena.cString(legacy)
        let raw = arena.bytes(field.value)
        value.raw_value = ProtobufCBinaryData(len: raw.count, data: raw.pointer)
      }
      (entries + index).initialize(to: arena.new(value))
    }
    map.n_headers = headers.count
    map.headers = entries
    return arena.new(map)
  }

  // MARK: - Responses

  /// What a response carried on the wire besides its Swift value: things Envoy is picky about.
  struct WireFacts: Equatable {
    /// Some HeaderValue had its `value` field set (Envoy 1.32+ then answers 500).
    var anyLegacyValueSet = false
    /// Some HeaderValueOption carried `append` explicitly set to false.
    var anyExplicitAppendFalse = false
    /// Some HeaderValueOption carried a non-default `append_action`.
    var anyAppendAction = false
  }

  /// Unpacks a ProcessingResponse with protobuf-c and reads it into Swift values.
  static func decode(_ bytes: [UInt8]) -> (response: ProcessingResponse, facts: WireFacts)? {
    let unpacked = bytes.withUnsafeBufferPointer {
      envoy__service__ext_proc__v3__processing_response__unpack(nil, $0.count, $0.baseAddress)
    }
    guard let unpacked else { return nil }
    defer { envoy__service__ext_proc__v3__processing_response__free_unpacked(unpacked, nil) }
    let message = unpacked.pointee
    var facts = WireFacts()
    let response: ProcessingResponse.Response
    switch message.response_case {
    case ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_RESPONSE__RESPONSE_REQUEST_HEADERS:
      response = .requestHeaders(common(message.request_headers.pointee.response, &facts))
    case ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_RESPONSE__RESPONSE_RESPONSE_HEADERS:
      response = .responseHeaders(common(message.response_headers.pointee.response, &facts))
    case ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_RESPONSE__RESPONSE_REQUEST_BODY:
      response = .requestBody(common(message.request_body.pointee.response, &facts))
    case ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_RESPONSE__RESPONSE_RESPONSE_BODY:
      response = .responseBody(common(message.response_body.pointee.response, &facts))
    case ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_RESPONSE__RESPONSE_REQUEST_TRAILERS:
      response = .requestTrailers(
        mutation(message.request_trailers.pointee.header_mutation, &facts))
    case ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_RESPONSE__RESPONSE_RESPONSE_TRAILERS:
      response = .responseTrailers(
        mutation(message.response_trailers.pointee.header_mutation, &facts))
    case ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_RESPONSE__RESPONSE_IMMEDIATE_RESPONSE:
      let immediate = message.immediate_response.pointee
      response = .immediate(
        ImmediateResponse(
          status: immediate.status.map { Int($0.pointee.code.rawValue) } ?? 0,
          headers: mutation(immediate.headers, &facts),
          body: Array(UnsafeBufferPointer(start: immediate.body.data, count: immediate.body.len)),
          details: String(cString: immediate.details),
          grpcStatus: immediate.grpc_status?.pointee.status))
    default:
      return nil
    }
    var modeOverride: ProcessingMode?
    if let mode = message.mode_override?.pointee {
      modeOverride = ProcessingMode(
        requestHeaderMode: .init(rawValue: Int(mode.request_header_mode.rawValue))!,
        responseHeaderMode: .init(rawValue: Int(mode.response_header_mode.rawValue))!,
        requestBodyMode: .init(rawValue: Int(mode.request_body_mode.rawValue))!,
        responseBodyMode: .init(rawValue: Int(mode.response_body_mode.rawValue))!,
        requestTrailerMode: .init(rawValue: Int(mode.request_trailer_mode.rawValue))!,
        responseTrailerMode: .init(rawValue: Int(mode.response_trailer_mode.rawValue))!)
    }
    return (ProcessingResponse(response, modeOverride: modeOverride), facts)
  }

  private static func common(
    _ pointer: UnsafeMutablePointer<Envoy__Service__ExtProc__V3__CommonResponse>?,
    _ facts: inout WireFacts
  ) -> CommonResponse {
    guard let common = pointer?.pointee else { return CommonResponse() }
    var result = CommonResponse()
    result.status = common.status.rawValue == 1 ? .continueAndReplace : .continue
    result.headerMutation = mutation(common.header_mutation, &facts)
    if let body = common.body_mutation?.pointee {
      switch body.mutation_case {
      case ENVOY__SERVICE__EXT_PROC__V3__BODY_MUTATION__MUTATION_BODY:
        result.bodyMutation = .replace(
          Array(UnsafeBufferPointer(start: body.body.data, count: body.body.len)))
      case ENVOY__SERVICE__EXT_PROC__V3__BODY_MUTATION__MUTATION_CLEAR_BODY:
        result.bodyMutation = body.clear_body != 0 ? .clear : .none
      default:
        result.bodyMutation = .none
      }
    }
    result.clearRouteCache = common.clear_route_cache != 0
    return result
  }

  private static func mutation(
    _ pointer: UnsafeMutablePointer<Envoy__Service__ExtProc__V3__HeaderMutation>?,
    _ facts: inout WireFacts
  ) -> HeaderMutation {
    guard let mutation = pointer?.pointee else { return HeaderMutation() }
    var result = HeaderMutation()
    for index in 0..<mutation.n_set_headers {
      let option = mutation.set_headers[index]!.pointee
      let header = option.header!.pointee
      if header.value.pointee != 0 { facts.anyLegacyValueSet = true }
      if let append = option.append?.pointee, append.value == 0 {
        facts.anyExplicitAppendFalse = true
      }
      if option.append_action.rawValue != 0 { facts.anyAppendAction = true }
      result.setHeaders.append(
        HeaderMutation.SetHeader(
          name: String(cString: header.key),
          value: String(
            decoding: UnsafeBufferPointer(
              start: header.raw_value.data, count: header.raw_value.len), as: UTF8.self),
          append: option.append.map { $0.pointee.value != 0 } ?? false))
    }
    for index in 0..<mutation.n_remove_headers {
      result.removeHeaders.append(String(cString: mutation.remove_headers[index]!))
    }
    return result
  }
}
