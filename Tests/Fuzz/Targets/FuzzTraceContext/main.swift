import CLibFuzzer
import Tracing

/// Reads fuzzed `traceparent`, `tracestate` and `baggage` values (the input's lines, in that
/// order) as the router reads a request's headers, and checks that what it would send on reads
/// back as the same trace and is sent on unchanged (the first send may truncate `tracestate` and
/// drop unknown flags, as the spec allows).
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
  guard let reread = again.parent, again.tracestateError == nil else {
    preconditionFailure("the injected trace context does not read back")
  }
  precondition(
    reread.traceID == parent.traceID && reread.spanID == parent.spanID
      && reread.traceFlags == parent.traceFlags.intersection(.known),
    "the injected traceparent reads back differently")
  let resent = TraceContextPropagator.inject(reread, baggage: again.baggage)
  precondition(resent.elementsEqual(headers, by: ==), "the injected headers change when resent")
  return 0
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
