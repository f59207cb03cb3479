import CLibFuzzer
import Embedding
import FuzzSupport

/// Loads a fuzzed `tokenizer.json` and tokenizes fuzzed text with it. The input is the JSON's
/// length (two bytes, little-endian), the JSON (written to a scratch file, since the tokenizer
/// reads a model folder's file), then the text. Every encoding must start with `[CLS]` and end
/// with `[SEP]`, and a truncated one must be the untruncated one's start.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size >= 2 else { return 0 }
  let jsonLength = min(Int(data[0]) | Int(data[1]) << 8, size - 2)
  scratch.write(UnsafeRawBufferPointer(start: data + 2, count: jsonLength))
  guard let tokenizer = try? BERTTokenizer(path: scratch.path) else { return 0 }
  let text = String(
    decoding: UnsafeBufferPointer(start: data + 2 + jsonLength, count: size - 2 - jsonLength),
    as: UTF8.self)
  let ids = tokenizer.encode(text)
  precondition(ids.first == tokenizer.classifierID, "no [CLS] first")
  precondition(ids.last == tokenizer.separatorID, "no [SEP] last")
  let maximumLength = 8
  let truncated = tokenizer.encode(text, maximumLength: maximumLength)
  precondition(truncated.count <= maximumLength, "truncation kept \(truncated.count) ids")
  precondition(truncated.last == tokenizer.separatorID, "truncation lost [SEP]")
  precondition(
    truncated.dropLast().elementsEqual(ids.prefix(truncated.count - 1)),
    "truncation is not the start of the whole encoding")
  return 0
}

let scratch = ScratchFile(name: "tokenizer.json")

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
