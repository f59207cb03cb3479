import CLibFuzzer
@testable import GRPC

/// Feeds DATA to the gRPC message deframer in chunks whose sizes the input's first byte picks,
/// and checks that every byte is either in a message, in a prefix, or still buffered.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let chunkSize = Int(data[0]) + 1
  let bytes = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
  var deframer = GRPCMessageDeframer(maxMessageSize: 4 << 20)
  var messages: [[UInt8]] = []
  var offset = 0
  do {
    while offset < bytes.count {
      let end = min(offset + chunkSize, bytes.count)
      try deframer.process(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), into: &messages)
      offset = end
    }
  } catch {
    return 0
  }
  let framed = messages.reduce(0) { $0 + 5 + $1.count }
  precondition(framed + deframer.bufferedBytes <= bytes.count, "deframer invented bytes")
  return 0
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
