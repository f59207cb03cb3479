internal import CGeneratedProtos

// MARK: - Decoding from the wire

extension ProcessingRequest {
  /// Decodes a ProcessingRequest with protobuf-c and copies it into Swift values (the C message
  /// is freed before returning).
  ///
  /// Header values are read from `raw_value` (what Envoy 1.32+ sends), falling back to `value`
  /// only when `raw_value` is empty.
  package init(decoding bytes: [UInt8]) throws(ExtProcError) {
    let unpacked = bytes.withUnsafeBufferPointer {
      envoy__service__ext_proc__v3__processing_request__unpack(nil, $0.count, $0.baseAddress)
    }
    guard let unpacked else {
      throw ExtProcError(
        .malformedMessage, "ProcessingRequest: invalid protobuf (\(bytes.count) bytes)")
    }
    defer { envoy__service__ext_proc__v3__processing_request__free_unpacked(unpacked, nil) }
    let request = unpacked.pointee

    let message: Message
    switch request.request_case {
    case ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_REQUEST__REQUEST_REQUEST_HEADERS:
      message = .requestHeaders(Self.headersMessage(request.request_headers))
    case ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_REQUEST__REQUEST_RESPONSE_HEADERS:
      message = .responseHeaders(Self.headersMessage(request.response_headers))
    case ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_REQUEST__REQUEST_REQUEST_BODY:
      message = .requestBody(Self.body(request.request_body))
    case ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_REQUEST__REQUEST_RESPONSE_BODY:
      message = .responseBody(Self.body(request.response_body))
    case ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_REQUEST__REQUEST_REQUEST_TRAILERS:
      message = .requestTrailers(Self.headers(request.request_trailers?.pointee.trailers))
    case ENVOY__SERVICE__EXT_PROC__V3__PROCESSING_REQUEST__REQUEST_RESPONSE_TRAILERS:
      message = .responseTrailers(Self.headers(request.response_trailers?.pointee.trailers))
    default:
      throw ExtProcError(
        .missingMessageKind,
        "ProcessingRequest carries no known message (field \(request.request_case.rawValue))")
    }

    var configuration: ProtocolConfiguration?
    if let config = request.protocol_config?.pointee {
      configuration = ProtocolConfiguration(
        requestBodyMode: try Self.bodyMode(config.request_body_mode.rawValue),
        responseBodyMode: try Self.bodyMode(config.response_body_mode.rawValue),
        sendBodyWithoutWaitingForHeaderResponse:
          config.send_body_without_waiting_for_header_response != 0)
    }
    self.init(
      message, observabilityMode: request.observability_mode != 0,
      protocolConfiguration: configuration)
  }

  private static func bodyMode(_ raw: UInt32) throws(ExtProcError) -> ProcessingMode.BodySendMode {
    guard let mode = ProcessingMode.BodySendMode(rawValue: Int(raw)) else {
      throw ExtProcError(.malformedMessage, "ProtocolConfiguration: unknown body mode \(raw)")
    }
    return mode
  }

  private static func headersMessage(
    _ message: UnsafeMutablePointer<Envoy__Service__ExtProc__V3__HttpHeaders>?
  ) -> HTTPHeadersMessage {
    guard let message else { return HTTPHeadersMessage(headers: HTTPHeaders()) }
    return HTTPHeadersMessage(
      headers: headers(message.pointee.headers), endOfStream: message.pointee.end_of_stream != 0)
  }

  private static func body(
    _ message: UnsafeMutablePointer<Envoy__Service__ExtProc__V3__HttpBody>?
  ) -> HTTPBody {
    guard let message else { return HTTPBody(bytes: []) }
    let data = message.pointee.body
    return HTTPBody(
      bytes: Array(UnsafeBufferPointer(start: data.data, count: data.len)),
      endOfStream: message.pointee.end_of_stream != 0)
  }

  private static func headers(
    _ map: UnsafeMutablePointer<Envoy__Config__Core__V3__HeaderMap>?
  ) -> HTTPHeaders {
    guard let map, map.pointee.n_headers > 0 else { return HTTPHeaders() }
    let count = map.pointee.n_headers
    var fields: [HTTPHeaders.Field] = []
    fields.reserveCapacity(count)
    for index in 0..<count {
      guard let header = map.pointee.headers[index]?.pointee else { continue }
      let name = header.key.map { HTTPHeaders.lowercased(String(cString: $0)) } ?? ""
      let raw = header.raw_value
      let value: String
      if raw.len > 0 {
        value = String(
          decoding: UnsafeBufferPointer(start: raw.data, count: raw.len), as: UTF8.self)
      } else {
        value = header.value.map { String(cString: $0) } ?? ""
      }
      fields.append(HTTPHeaders.Field(name: name, value: value))
    }
    return HTTPHeaders(lowercasedFields: fields)
  }
}
