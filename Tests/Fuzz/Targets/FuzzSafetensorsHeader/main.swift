import CLibFuzzer
@testable import Embedding
import FuzzSupport

/// Opens fuzzed bytes as a model's `model.safetensors` (written to a scratch file, since the
/// reader maps a file) and, when the header is accepted, checks that every tensor's bytes are
/// its shape times its element size and reads the numeric ones.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  scratch.write(UnsafeRawBufferPointer(start: data, count: size))
  guard let file = try? SafetensorsFile(path: scratch.path) else { return 0 }
  for tensor in file.tensors.values {
    precondition(tensor.bytes.count == tensor.count * tensor.dtype.size, "\(tensor.name): size")
    if [.f32, .f16, .bf16].contains(tensor.dtype) {
      precondition(tensor.floats().count == tensor.count, "\(tensor.name): element count")
    }
  }
  return 0
}

let scratch = ScratchFile(name: "model.safetensors")

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
