import CLibFuzzer
@testable import TraceView

/// Decodes a fuzzed OTLP ExportTraceServiceRequest as `trace-view` does, then prints its spans
/// as a tree and as JSON lines.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let spans = OTLPTraceRequestDecoder.decode(bytes) else { return 0 }
  _ = TraceTreeFormatter.format(spans)
  for span in spans { _ = SpanJSONLineEncoder.encode(span) }
  return 0
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
