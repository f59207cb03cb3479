internal import CGeneratedProtos

/// The `partial_success` of an OTLP `ExportTraceServiceResponse`: spans the collector dropped.
///
/// A partial success is logged and counted, never retried (OTLP spec, "Partial Success").
struct OTLPPartialSuccess: Sendable, Hashable {
  var rejectedSpans: Int64
  var errorMessage: String

  /// Reads a response body. Nil when the body is not a valid response; a response without
  /// `partial_success` (full success) gives zero and an empty message.
  static func decode(_ body: [UInt8]) -> OTLPPartialSuccess? {
    body.withUnsafeBufferPointer { buffer -> OTLPPartialSuccess? in
      guard
        let response = opentelemetry__proto__collector__trace__v1__export_trace_service_response__unpack(
          nil, buffer.count, buffer.baseAddress)
      else { return nil }
      defer {
        opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked(
          response, nil)
      }
      guard let partial = response.pointee.partial_success else {
        return OTLPPartialSuccess(rejectedSpans: 0, errorMessage: "")
      }
      let message = partial.pointee.error_message.map { String(cString: $0) } ?? ""
      return OTLPPartialSuccess(rejectedSpans: partial.pointee.rejected_spans, errorMessage: message)
    }
  }

  /// True when the collector reported something (rejected spans or a warning message).
  var isReported: Bool { rejectedSpans != 0 || !errorMessage.isEmpty }
}
