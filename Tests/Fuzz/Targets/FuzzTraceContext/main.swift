import CLibFuzzer
import Tracing

/// Reads fuzzed `traceparent`, `tracestate` and `baggage` values (the input's lines, in that
/// order) as the router reads a request's headers, and checks that what it would send on
/// reads back the same.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  let lines = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
  func line(_ index: Int) -> [String] { index < lines.count ? [String(lines[index])] : [] }
  let extracted = TraceContextPropagator.extract(
    traceparent: line(0), tracestate: line(1), baggage: line(2))
  guard let parent = extracted.parent, parent.isValid else { return 0 }
  let headers = TraceContextPropagator.inject(parent, baggage: extracted.baggage)
  func sent(_ name: String) -> [String] { headers.filter { $0.name == name }.map(\.value) }
  let again = TraceContextPropagator.extract(
    traceparent: sent(TraceContextPropagator.traceparentHeader),
    tracestate: sent(TraceContextPropagator.tracestateHeader),
    baggage: sent(TraceContextPropagator.baggageHeader))
  precondition(again.parent == parent, "the injected trace context reads back differently")
  precondition(again.baggage == extracted.baggage, "the injected baggage reads back differently")
  return 0
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
