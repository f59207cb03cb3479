import CLibFuzzer
import Router

/// Loads fuzzed YAML as a router config: it either loads or throws issues, never crashes.
/// Relative `examples_file` paths point into a directory that does not exist.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  _ = try? RouterConfiguration.parse(
    yaml: text, source: "fuzz.yaml", baseDirectory: "/nonexistent-fuzz-directory")
  return 0
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
