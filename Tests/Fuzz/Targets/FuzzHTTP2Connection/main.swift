import CLibFuzzer
import Glibc

/// Sends each input as one connection's bytes after the client preface to the router's whole
/// ext_proc server (HTTP/2, gRPC, ext_proc, the semantic router) on a loopback port.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  FuzzedServer.shared.exchange(UnsafeRawBufferPointer(start: data, count: size))
  return 0
}

signal(SIGPIPE, SIG_IGN)
runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
