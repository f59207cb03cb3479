import CLibFuzzer
@testable import Transport

/// Parses a fuzzed admin HTTP/1.1 request head with the server's 8 KiB limit.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  _ = HTTP1ServerRequestParser.parse(bytes, maxHeadBytes: 8192, peerAddress: "fuzz")
  return 0
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
