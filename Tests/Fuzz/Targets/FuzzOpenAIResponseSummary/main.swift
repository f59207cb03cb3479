import CLibFuzzer
import Router

/// Reads the model and usage from a fuzzed (non-streaming) OpenAI response body.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  _ = OpenAIResponseSummary.parse(Array(UnsafeBufferPointer(start: data, count: size)))
  return 0
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
