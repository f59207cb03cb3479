import GRPC

/// Serves one `opentelemetry.proto.collector.trace.v1.TraceService/Export` call: decodes the
/// request, hands its spans on, and answers an empty `ExportTraceServiceResponse` (full
/// success) with status OK; INVALID_ARGUMENT when the request does not parse.
final class OTLPTraceExportHandler: GRPCCallHandler {
  private let receive: @Sendable ([TraceViewSpan]) -> Void
  private var answered = false

  init(receive: @escaping @Sendable ([TraceViewSpan]) -> Void) {
    self.receive = receive
  }

  func received(message: [UInt8], on call: any GRPCServerCall) {
    guard !answered else { return }
    answered = true
    guard let spans = OTLPTraceRequestDecoder.decode(message) else {
      call.finish(GRPCStatus(.invalidArgument, "cannot parse ExportTraceServiceRequest"))
      return
    }
    receive(spans)
    // An ExportTraceServiceResponse without partial_success encodes to zero bytes.
    call.send([])
    call.finish(.ok)
  }

  func receivedEnd(on call: any GRPCServerCall) {
    if !answered {
      answered = true
      call.finish(GRPCStatus(.internal, "request ended without a message"))
    }
  }

  func callEnded(_ reason: GRPCCallEndReason) {}
}
