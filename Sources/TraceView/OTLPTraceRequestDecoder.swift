internal import CGeneratedProtos
import TextCoding

/// Decodes an OTLP `ExportTraceServiceRequest` (protobuf, via protobuf-c) into spans. The C
/// structures never leave this file.
enum OTLPTraceRequestDecoder {
  /// The spans of every resource and scope in `message`, or nil when it does not parse.
  static func decode(_ message: [UInt8]) -> [TraceViewSpan]? {
    message.withUnsafeBufferPointer { bytes -> [TraceViewSpan]? in
      guard
        let request =
          opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
            nil, bytes.count, bytes.baseAddress)
      else { return nil }
      defer {
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(
          request, nil)
      }
      var spans: [TraceViewSpan] = []
      for resourceSpans in elements(
        request.pointee.resource_spans, request.pointee.n_resource_spans)
      {
        let service = serviceName(resourceSpans.pointee.resource) ?? "unknown_service"
        for scopeSpans in elements(
          resourceSpans.pointee.scope_spans, resourceSpans.pointee.n_scope_spans)
        {
          for span in elements(scopeSpans.pointee.spans, scopeSpans.pointee.n_spans) {
            spans.append(convert(span.pointee, service: service))
          }
        }
      }
      return spans
    }
  }

  private static func convert(
    _ span: Opentelemetry__Proto__Trace__V1__Span, service: String
  ) -> TraceViewSpan {
    let parent = hex(span.parent_span_id)
    var statusCode = TraceViewSpan.StatusCode.unset
    var statusMessage = ""
    if let status = span.status {
      switch status.pointee.code {
      case OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_OK: statusCode = .ok
      case OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_ERROR:
        statusCode = .error
      default: statusCode = .unset
      }
      statusMessage = string(status.pointee.message)
    }
    return TraceViewSpan(
      traceID: hex(span.trace_id), spanID: hex(span.span_id),
      parentSpanID: parent.isEmpty ? nil : parent, name: string(span.name),
      kind: TraceViewSpan.Kind(rawValue: Int(span.kind.rawValue)) ?? .unspecified,
      service: service, startTimeUnixNano: span.start_time_unix_nano,
      endTimeUnixNano: span.end_time_unix_nano,
      attributes: attributes(span.attributes, span.n_attributes), statusCode: statusCode,
      statusMessage: statusMessage)
  }

  private static func serviceName(
    _ resource: UnsafeMutablePointer<Opentelemetry__Proto__Resource__V1__Resource>?
  ) -> String? {
    guard let resource else { return nil }
    let attributes = attributes(resource.pointee.attributes, resource.pointee.n_attributes)
    guard case .string(let name)? = attributes.first(where: { $0.key == "service.name" })?.value
    else { return nil }
    return name
  }

  private static func attributes(
    _ base: UnsafeMutablePointer<
      UnsafeMutablePointer<Opentelemetry__Proto__Common__V1__KeyValue>?
    >?,
    _ count: Int
  ) -> [TraceViewAttribute] {
    elements(base, count).map { keyValue in
      TraceViewAttribute(string(keyValue.pointee.key), value(keyValue.pointee.value))
    }
  }

  private static func value(
    _ pointer: UnsafeMutablePointer<Opentelemetry__Proto__Common__V1__AnyValue>?
  ) -> TraceViewAttribute.Value {
    guard let value = pointer?.pointee else { return .empty }
    switch value.value_case {
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
      return .string(string(value.string_value))
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE:
      return .bool(value.bool_value != 0)
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE:
      return .int(value.int_value)
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
      return .double(value.double_value)
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE:
      return .bytes(bytes(value.bytes_value))
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE:
      guard let array = value.array_value else { return .array([]) }
      return .array(elements(array.pointee.values, array.pointee.n_values).map { Self.value($0) })
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE:
      guard let list = value.kvlist_value else { return .keyValues([]) }
      return .keyValues(attributes(list.pointee.values, list.pointee.n_values))
    default:
      return .empty
    }
  }

  private static func elements<T>(
    _ base: UnsafeMutablePointer<UnsafeMutablePointer<T>?>?, _ count: Int
  ) -> [UnsafeMutablePointer<T>] {
    guard let base, count > 0 else { return [] }
    return UnsafeBufferPointer(start: base, count: count).compactMap { $0 }
  }

  private static func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
  }

  private static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
    guard let base = data.data, data.len > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: base, count: data.len))
  }

  private static func hex(_ data: ProtobufCBinaryData) -> String {
    hexString(bytes(data))
  }
}

/// Lower-case hex digits of `bytes`.
func hexString(_ bytes: [UInt8]) -> String {
  let digits = HexDigit.lowerCase
  var out: [UInt8] = []
  out.reserveCapacity(bytes.count * 2)
  for byte in bytes {
    out.append(digits[Int(byte >> 4)])
    out.append(digits[Int(byte & 0x0F)])
  }
  return String(decoding: out, as: UTF8.self)
}
