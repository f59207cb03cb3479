import CLibFuzzer
@testable import Router

/// Translates a fuzzed chat-completions answer from a backend into the client's API, as the
/// router does when the chosen endpoint lacks the request's API. The first byte picks the API
/// (bit 0: Responses or Messages), whole JSON or event stream (bit 1), the whole answer's
/// status (bit 2: 200 or 500) and the stream's chunk size (the rest). Every event written must
/// carry JSON, a whole answer must be JSON, and the stream's chunking must not change the
/// output.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let api: OpenAIRequest.Endpoint = data[0] & 1 == 0 ? .responses : .messages
  let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  if data[0] & 2 == 0 {
    let status = data[0] & 4 == 0 ? 200 : 500
    let answer = ChatResponseTranslator(api: api, model: "fuzz-model")
      .translate(status: status, body: body)
    precondition(JSONValue.parse(answer) != nil, "a translated answer is not JSON")
    return 0
  }
  let chunkSize = Int(data[0] >> 3) + 1
  var chunked = ChatResponseTranslator(api: api, model: "fuzz-model")
  var output: [UInt8] = []
  var offset = 0
  while offset < body.count {
    let end = min(offset + chunkSize, body.count)
    output += chunked.translate(chunk: Array(body[offset..<end]), endOfStream: false)
    offset = end
  }
  output += chunked.translate(chunk: [], endOfStream: true)
  var whole = ChatResponseTranslator(api: api, model: "fuzz-model")
  let wholeOutput = whole.translate(chunk: body, endOfStream: true)
  precondition(output == wholeOutput, "chunking changed the translated stream")
  var parser = ServerSentEventParser()
  var events = 0
  parser.feed(output) { event in
    events += 1
    precondition(JSONValue.parse(event.data) != nil, "a translated event is not JSON")
  }
  precondition(events > 0, "a translated stream has no events")
  return 0
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
