import CLibFuzzer
import Router

/// Watches a fuzzed `text/event-stream` body pass in chunks whose sizes the first byte picks
/// (the SSE parser and the per-event JSON summary), and checks that the chunking did not change
/// what was seen; once with the default event cap and once with a cap small enough for fuzzed
/// lines to pass it, which must stop the observer at the same point whatever the chunking.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let chunkSize = Int(data[0]) + 1
  let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  for maxEventBytes in [ServerSentEventParser.defaultMaxEventBytes, 64] {
    var chunked = OpenAIStreamObserver(maxEventBytes: maxEventBytes)
    var offset = 0
    while offset < body.count {
      let end = min(offset + chunkSize, body.count)
      chunked.observe(Array(body[offset..<end]))
      offset = end
    }
    var whole = OpenAIStreamObserver(maxEventBytes: maxEventBytes)
    whole.observe(body)
    precondition(chunked.eventCount == whole.eventCount, "chunking changed the events")
    precondition(chunked.summary == whole.summary, "chunking changed the summary")
    precondition(chunked.limitExceeded == whole.limitExceeded, "chunking changed the cap")
  }
  return 0
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
