import CLibFuzzer
import ExtProc

/// Decodes a ProcessingRequest (protobuf-c unpack, then the Swift values) from fuzzed bytes.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  _ = try? ProcessingRequest(decoding: bytes)
  return 0
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
