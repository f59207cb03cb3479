import CLibFuzzer
@testable import Router

/// Parses a fuzzed body as an OpenAI or Anthropic request (the first byte's low two bits pick
/// the endpoint: chat, completions, Responses, Messages) and, when it parses, rewrites its
/// `model` as the router does for `"model": "auto"`; a Responses or Messages request the router
/// could translate is written as a chat completion, which must parse as one.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let endpoints: [OpenAIRequest.Endpoint] = [.chatCompletions, .completions, .responses, .messages]
  let endpoint = endpoints[Int(data[0] & 3)]
  let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  guard let request = try? OpenAIRequest.parse(body, endpoint: endpoint) else { return 0 }
  let rewritten = request.rewritingModel(in: body, to: "fuzz-model")
  let reparsed = try? OpenAIRequest.parse(rewritten, endpoint: endpoint)
  precondition(reparsed?.model == "fuzz-model", "the rewritten body lost its model")
  if endpoint == .responses || endpoint == .messages, request.untranslatable == nil {
    let chat = ChatCompletionsRequestTranslator.body(for: request, model: "fuzz-model")
    let translated = try? OpenAIRequest.parse(chat, endpoint: .chatCompletions)
    precondition(translated != nil, "the translated chat request does not parse")
    precondition(
      translated?.messages.map(\.content) == request.messages.map(\.content),
      "translation changed the messages")
  }
  return 0
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
