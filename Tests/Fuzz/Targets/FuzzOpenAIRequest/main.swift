import CLibFuzzer
import Router

/// Parses a fuzzed body as an OpenAI request (the first byte picks the endpoint) and, when it
/// parses, rewrites its `model` as the router does for `"model": "auto"`.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let endpoint: OpenAIRequest.Endpoint = data[0] & 1 == 0 ? .chatCompletions : .completions
  let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  guard let request = try? OpenAIRequest.parse(body, endpoint: endpoint) else { return 0 }
  let rewritten = request.rewritingModel(in: body, to: "fuzz-model")
  let reparsed = try? OpenAIRequest.parse(rewritten, endpoint: endpoint)
  precondition(reparsed?.model == "fuzz-model", "the rewritten body lost its model")
  return 0
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
