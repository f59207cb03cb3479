internal import CGeneratedProtos

// MARK: - Encoding to the wire

extension ProcessingResponse {
  /// Encodes the response with protobuf-c: the C structs are built in a scratch arena, packed
  /// into one array, and released.
  ///
  /// Header values go into `raw_value` only; `append` is left unset unless true (unset means
  /// overwrite). A body (replacement or ImmediateResponse body) is packed straight from the
  /// Swift array, without an intermediate copy.
  package func encoded() -> [UInt8] {
    let payload: [UInt8]
    switch response {
    case .requestHeaders(let common), .responseHeaders(let common),
      .requestBody(let common), .responseBody(let common):
      if case .replace(let bytes) = common.bodyMutation { payload = bytes } else { payload = [] }
    case .immediate(let immediate):
      payload = immediate.body
    case .requestTrailers, .responseTrailers:
      payload = []
    }
    return payload.withUnsafeBufferPointer { body in
      var arena = CArena(capacity: estimatedScratchSize)
      var message = Envoy__Service__ExtProc__V3__ProcessingResponse()
      envoy__service__ext_proc__v3__processing_response__init(&message)
      let data = ProtobufCBinaryData(
        len: body.count, data: UnsafeMutablePointer(mutating: body.baseAddress))
      fill(&message, payload: data, arena: &arena)
      let size = envoy__service__ext_proc__v3__processing_response__get_packed_size(&message)
      return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
        guard let base = buffer.baseAddress else { return initialized = 0 }
        initialized = envoy__service__ext_proc__v3__processing_response__pack(&message, base)
      }
    }
  }

  /// Enough scratch for the structs and header strings of this response.
  private var estimatedScratchSize: Int {
    func size(_ mutation: HeaderMutation) -> Int {
      var total = 128 + mutation.setHeaders.count * 160 + mutation.removeHeaders.count * 16
      for header in mutation.setHeaders {
        total += header.name.utf8.count + header.value.utf8.count + 16
      }
      for name in mutation.removeHeaders { total += name.utf8.count + 1 }
      return total
    }
    switch response {
    case .requestHeaders(let common), .responseHeaders(let common),
      .requestBody(let common), .responseBody(let common):
      return 512 + size(common.headerMutation)
    case .requestTrailers(let mutation), .responseTrailers(let mutation):
      return 256 + size(mutation)
    case .immediate(let immediate):
      return 512 + size(immediate.headers) + immediate.details.utf8.count
    }
  }

  private func fill(
    _ message: inout Envoy__Service__ExtProc__V3__ProcessingResponse,
    payload: ProtobufCBinaryData, arena: inout CArena
  ) {
    switch response {
    case .requestHeaders(let common):
      message.response_case =
        ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_RESPONSE__RESPONSE_REQUEST_HEADERS
      message.request_headers = Self.headersResponse(common, payload, &arena)
    case .responseHeaders(let common):
      message.response_case =
        ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_RESPONSE__RESPONSE_RESPONSE_HEADERS
      message.response_headers = Self.headersResponse(common, payload, &arena)
    case .requestBody(let common):
      message.response_case =
        ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_RESPONSE__RESPONSE_REQUEST_BODY
      message.request_body = Self.bodyResponse(common, payload, &arena)
    case .responseBody(let common):
      message.response_case =
        ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_RESPONSE__RESPONSE_RESPONSE_BODY
      message.response_body = Self.bodyResponse(common, payload, &arena)
    case .requestTrailers(let mutation):
      message.response_case =
        ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_RESPONSE__RESPONSE_REQUEST_TRAILERS
      message.request_trailers = Self.trailersResponse(mutation, &arena)
    case .responseTrailers(let mutation):
      message.response_case =
        ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_RESPONSE__RESPONSE_RESPONSE_TRAILERS
      message.response_trailers = Self.trailersResponse(mutation, &arena)
    case .immediate(let immediate):
      message.response_case =
        ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_RESPONSE__RESPONSE_IMMEDIATE_RESPONSE
      message.immediate_response = Self.immediateResponse(immediate, payload, &arena)
    }
    if let mode = modeOverride {
      message.mode_override = Self.processingMode(mode, &arena)
    }
  }

  // MARK: - Messages

  private static func headersResponse(
    _ common: CommonResponse, _ payload: ProtobufCBinaryData, _ arena: inout CArena
  ) -> UnsafeMutablePointer<Envoy__Service__ExtProc__V3__HeadersResponse> {
    var response = Envoy__Service__ExtProc__V3__HeadersResponse()
    envoy__service__ext_proc__v3__headers_response__init(&response)
    response.response = commonResponse(common, payload, &arena)
    return arena.new(response)
  }

  private static func bodyResponse(
    _ common: CommonResponse, _ payload: ProtobufCBinaryData, _ arena: inout CArena
  ) -> UnsafeMutablePointer<Envoy__Service__ExtProc__V3__BodyResponse> {
    var response = Envoy__Service__ExtProc__V3__BodyResponse()
    envoy__service__ext_proc__v3__body_response__init(&response)
    response.response = commonResponse(common, payload, &arena)
    return arena.new(response)
  }

  private static func trailersResponse(
    _ mutation: HeaderMutation, _ arena: inout CArena
  ) -> UnsafeMutablePointer<Envoy__Service__ExtProc__V3__TrailersResponse> {
    var response = Envoy__Service__ExtProc__V3__TrailersResponse()
    envoy__service__ext_proc__v3__trailers_response__init(&response)
    if !mutation.isEmpty {
      response.header_mutation = headerMutation(mutation, &arena)
    }
    return arena.new(response)
  }

  private static func commonResponse(
    _ common: CommonResponse, _ payload: ProtobufCBinaryData, _ arena: inout CArena
  ) -> UnsafeMutablePointer<Envoy__Service__ExtProc__V3__CommonResponse> {
    var response = Envoy__Service__ExtProc__V3__CommonResponse()
    envoy__service__ext_proc__v3__common_response__init(&response)
    switch common.status {
    case .continue:
      response.status = ENVOY__SERVICE__EXT_PROC__V3__COMMON_RESPONSE__RESPONSE_STATUS__CONTINUE
    case .continueAndReplace:
      response.status =
        ENVOY__SERVICE__EXT_PROC__V3__COMMON_RESPONSE__RESPONSE_STATUS__CONTINUE_AND_REPLACE
    }
    if !common.headerMutation.isEmpty {
      response.header_mutation = headerMutation(common.headerMutation, &arena)
    }
    switch common.bodyMutation {
    case .none:
      break
    case .replace:
      var mutation = Envoy__Service__ExtProc__V3__BodyMutation()
      envoy__service__ext_proc__v3__body_mutation__init(&mutation)
      mutation.mutation_case = ENVOY__SERVICE__EXT_PROC__V3__BODY_MUTATION__MUTATION_BODY
      mutation.body = payload
      response.body_mutation = arena.new(mutation)
    case .clear:
      var mutation = Envoy__Service__ExtProc__V3__BodyMutation()
      envoy__service__ext_proc__v3__body_mutation__init(&mutation)
      mutation.mutation_case = ENVOY__SERVICE__EXT_PROC__V3__BODY_MUTATION__MUTATION_CLEAR_BODY
      mutation.clear_body = 1
      response.body_mutation = arena.new(mutation)
    }
    response.clear_route_cache = common.clearRouteCache ? 1 : 0
    return arena.new(response)
  }

  private static func immediateResponse(
    _ immediate: ImmediateResponse, _ payload: ProtobufCBinaryData, _ arena: inout CArena
  ) -> UnsafeMutablePointer<Envoy__Service__ExtProc__V3__ImmediateResponse> {
    var response = Envoy__Service__ExtProc__V3__ImmediateResponse()
    envoy__service__ext_proc__v3__immediate_response__init(&response)
    var status = Envoy__Type__V3__HttpStatus()
    envoy__type__v3__http_status__init(&status)
    status.code = Envoy__Type__V3__StatusCode(rawValue: UInt32(clamping: immediate.status))
    response.status = arena.new(status)
    if !immediate.headers.isEmpty {
      response.headers = headerMutation(immediate.headers, &arena)
    }
    response.body = payload
    if let code = immediate.grpcStatus {
      var grpcStatus = Envoy__Service__ExtProc__V3__GrpcStatus()
      envoy__service__ext_proc__v3__grpc_status__init(&grpcStatus)
      grpcStatus.status = code
      response.grpc_status = arena.new(grpcStatus)
    }
    if !immediate.details.isEmpty {
      response.details = arena.cString(immediate.details)
    }
    return arena.new(response)
  }

  private static func headerMutation(
    _ mutation: HeaderMutation, _ arena: inout CArena
  ) -> UnsafeMutablePointer<Envoy__Service__ExtProc__V3__HeaderMutation> {
    var result = Envoy__Service__ExtProc__V3__HeaderMutation()
    envoy__service__ext_proc__v3__header_mutation__init(&result)
    if !mutation.setHeaders.isEmpty {
      let options = arena.array(
        of: UnsafeMutablePointer<Envoy__Config__Core__V3__HeaderValueOption>?.self,
        count: mutation.setHeaders.count)
      for (index, header) in mutation.setHeaders.enumerated() {
        var value = Envoy__Config__Core__V3__HeaderValue()
        envoy__config__core__v3__header_value__init(&value)
        value.key = arena.cString(header.name)
        // raw_value only: Envoy answers 500 when `value` is set as well.
        let bytes = arena.bytes(header.value)
        value.raw_value = ProtobufCBinaryData(len: bytes.count, data: bytes.pointer)
        var option = Envoy__Config__Core__V3__HeaderValueOption()
        envoy__config__core__v3__header_value_option__init(&option)
        option.header = arena.new(value)
        if header.append {
          var append = Google__Protobuf__BoolValue()
          google__protobuf__bool_value__init(&append)
          append.value = 1
          option.append = arena.new(append)
        }
        (options + index).initialize(to: arena.new(option))
      }
      result.n_set_headers = mutation.setHeaders.count
      result.set_headers = options
    }
    if !mutation.removeHeaders.isEmpty {
      let names = arena.array(
        of: UnsafeMutablePointer<CChar>?.self, count: mutation.removeHeaders.count)
      for (index, name) in mutation.removeHeaders.enumerated() {
        (names + index).initialize(to: arena.cString(name))
      }
      result.n_remove_headers = mutation.removeHeaders.count
      result.remove_headers = names
    }
    return arena.new(result)
  }

  private static func processingMode(
    _ mode: ProcessingMode, _ arena: inout CArena
  ) -> UnsafeMutablePointer<Envoy__Extensions__Filters__Http__ExtProc__V3__ProcessingMode> {
    typealias HeaderMode =
      Envoy__Extensions__Filters__Http__ExtProc__V3__ProcessingMode__HeaderSendMode
    typealias BodyMode =
      Envoy__Extensions__Filters__Http__ExtProc__V3__ProcessingMode__BodySendMode
    var result = Envoy__Extensions__Filters__Http__ExtProc__V3__ProcessingMode()
    envoy__extensions__filters__http__ext_proc__v3__processing_mode__init(&result)
    result.request_header_mode = HeaderMode(rawValue: UInt32(mode.requestHeaderMode.rawValue))
    result.response_header_mode = HeaderMode(rawValue: UInt32(mode.responseHeaderMode.rawValue))
    result.request_body_mode = BodyMode(rawValue: UInt32(mode.requestBodyMode.rawValue))
    result.response_body_mode = BodyMode(rawValue: UInt32(mode.responseBodyMode.rawValue))
    result.request_trailer_mode = HeaderMode(rawValue: UInt32(mode.requestTrailerMode.rawValue))
    result.response_trailer_mode = HeaderMode(rawValue: UInt32(mode.responseTrailerMode.rawValue))
    return arena.new(result)
  }
}
