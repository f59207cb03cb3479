import Router
import Testing

@Suite struct OpenAIRequestTests {
  private func parse(
    _ json: String, _ endpoint: OpenAIRequest.Endpoint = .chatCompletions
  ) throws -> OpenAIRequest {
    try OpenAIRequest.parse(Array(json), endpoint: endpoint)
  }

  private func failure(
    _ json: String, _ endpoint: OpenAIRequest.Endpoint = .chatCompletions
  ) -> OpenAIRequestError? {
    do {
      _ = try OpenAIRequest.parse(Array(json), endpoint: endpoint)
      return nil
    } catch {
      return error
    }
  }

  @Test func chatBody_yieldsModelMessagesAndStream() throws {
    let request = try parse(
      """
      {"model": "auto", "temperature": 0.2, "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "What is 2+2?", "name": "x"}
      ], "stream": true, "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}
      """)
    #expect(request.model == "auto")
    #expect(request.stream)
    #expect(
      request.messages == [
        .init(role: "system", content: "You are terse."),
        .init(role: "user", content: "What is 2+2?"),
      ])
    #expect(request.query.text == "What is 2+2?")
    #expect(request.query.context == "You are terse.")
  }

  @Test func escapes_areDecoded_includingSurrogatePairs() throws {
    let request = try parse(
      #"{"model":"m","messages":[{"role":"user","content":"a\"b\\c\/d\n\t\r\b\f \u00e9 \u4e2d \ud83d\ude00 \ud800x"}]}"#
    )
    #expect(request.messages[0].content == "a\"b\\c/d\n\t\r\u{08}\u{0C} é 中 😀 \u{FFFD}x")
  }

  @Test func rawUnicode_isKept() throws {
    let request = try parse(#"{"model":"m","messages":[{"role":"user","content":"Ünïcödé 数学 🚀"}]}"#)
    #expect(request.messages[0].content == "Ünïcödé 数学 🚀")
  }

  @Test func contentParts_joinTextParts_andSkipOthers() throws {
    let request = try parse(
      """
      {"model":"m","messages":[{"role":"user","content":[
        {"type":"text","text":"first"},
        {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},
        {"type":"text","text":"second"}]},
        {"role":"assistant","content":null,"tool_calls":[]}]}
      """)
    #expect(request.messages[0].content == "first\nsecond")
    #expect(request.messages[1].content == "")
    #expect(request.query.text == "first\nsecond")
  }

  @Test func hugeString_isParsedWhole() throws {
    let big = String(repeating: "abcdefghij", count: 200_000) + "é"
    let request = try parse(#"{"model":"m","messages":[{"role":"user","content":"\#(big)"}]}"#)
    #expect(request.messages[0].content == big)
  }

  /// Strings are scanned eight bytes at a time: a quote, an escape or a control character at
  /// any offset of such a block must be seen.
  @Test func stringSpecials_atEveryOffsetOfAnEightByteBlock_areSeen() throws {
    for offset in 0..<24 {
      let pad = String(repeating: "p", count: offset)
      let content = #"\#(pad)\"q\\\#(pad)"#
      let escaped = try parse(
        #"{"model":"m","messages":[{"role":"user","content":"\#(content)"}]}"#)
      #expect(escaped.messages[0].content == pad + "\"q\\" + pad, "offset \(offset)")
      let ended = try parse(#"{"model":"m\#(pad)","messages":[{"role":"user","content":"x"}]}"#)
      #expect(ended.model == "m" + pad, "offset \(offset)")
      guard case .invalidJSON = failure("{\"model\":\"\(pad)\u{1F}\(pad)\"}") else {
        Issue.record("control character at offset \(offset) accepted")
        continue
      }
    }
  }

  @Test func completionsBody_readsPrompt() throws {
    #expect(try parse(#"{"model":"m","prompt":"hello"}"#, .completions).prompt == "hello")
    #expect(try parse(#"{"model":"m","prompt":["a","b"]}"#, .completions).prompt == "a\nb")
    #expect(try parse(#"{"model":"m","prompt":[[1,2,3]]}"#, .completions).prompt == "")
    #expect(try parse(#"{"model":"m","prompt":"q"}"#, .completions).query.text == "q")
  }

  @Test(arguments: [
    "", "   ", "{", #"{"model":"m""#, #"{"model":"m",}"#, #"{"model":"m"} x"#, #"{'model':1}"#,
    #"{"model":"a\qb"}"#, #"{"model":"a\u12"}"#, "{\"model\":\"a\u{01}b\"}", #"{"n":01}"#,
    #"{"n":1.}"#, #"{"n":-}"#, #"{"n":tru}"#, #"{"a":[1,2}"#, #"{"model":"m" "x":1}"#,
    String(repeating: "[", count: 1000),
  ])
  func invalidJSON_isReportedAsSuch(json: String) {
    guard case .invalidJSON = failure(json) else {
      Issue.record("expected invalidJSON for \(json.prefix(40))")
      return
    }
  }

  @Test func invalidUTF8_isInvalidJSON() {
    var bytes = Array(#"{"model":"m","messages":[{"role":"user","content":"x"#)
    bytes += [0xFF, 0xFE]
    bytes += Array(#""}]}"#)
    #expect(throws: OpenAIRequestError.self) {
      try OpenAIRequest.parse(bytes, endpoint: .chatCompletions)
    }
  }

  @Test func missingAndMistypedFields_haveTypedErrors() {
    #expect(failure(#"{"messages":[{"role":"user","content":"x"}]}"#) == .missingField("model"))
    #expect(failure(#"{"model":"m"}"#) == .missingField("messages"))
    #expect(failure(#"{"model":"m"}"#, .completions) == .missingField("prompt"))
    #expect(
      failure(#"{"model":"m","messages":[]}"#)
        == .invalidValue(field: "messages", reason: "it must not be empty"))
    #expect(
      failure(#"{"model":5,"messages":[]}"#)
        == .wrongType(field: "model", expected: "a string", found: "a number"))
    #expect(
      failure(#"{"model":"m","messages":{}}"#)
        == .wrongType(field: "messages", expected: "an array", found: "an object"))
    #expect(
      failure(#"{"model":"m","messages":["hi"]}"#)
        == .wrongType(field: "messages[0]", expected: "an object", found: "a string"))
    #expect(
      failure(#"{"model":"m","messages":[{"content":"x"}]}"#) == .missingField("messages[0].role"))
    #expect(
      failure(#"{"model":"m","messages":[{"role":"user","content":7}]}"#)
        == .wrongType(
          field: "messages[0].content", expected: "a string or an array of content parts",
          found: "a number"))
    #expect(
      failure(#"{"model":"m","stream":"yes","messages":[]}"#)
        == .wrongType(field: "stream", expected: "a boolean", found: "a string"))
    #expect(
      failure("[1,2]") == .wrongType(field: "(body)", expected: "an object", found: "an array"))
  }

  @Test func rewritingModel_changesOnlyTheModelValue() throws {
    let body = Array(
      #"{ "messages" : [{"role":"user","content":"\"model\": \"auto\""}], "model" :  "auto" , "x": 1 }"#
    )
    let request = try OpenAIRequest.parse(body, endpoint: .chatCompletions)
    let rewritten = request.rewritingModel(in: body, to: "llama-3.1-8b")
    #expect(
      String(bytes: rewritten)
        == #"{ "messages" : [{"role":"user","content":"\"model\": \"auto\""}], "model" :  "llama-3.1-8b" , "x": 1 }"#
    )
    let reparsed = try OpenAIRequest.parse(rewritten, endpoint: .chatCompletions)
    #expect(reparsed.model == "llama-3.1-8b")
    #expect(reparsed.messages == request.messages)
  }

  @Test func rewritingModel_escapesTheNewName_andUsesTheLastModelKey() throws {
    let body = Array(#"{"model":"first","model":"auto","prompt":"p"}"#)
    let request = try OpenAIRequest.parse(body, endpoint: .completions)
    #expect(request.model == "auto")
    let rewritten = request.rewritingModel(in: body, to: "we\"ird\n")
    #expect(String(bytes: rewritten) == #"{"model":"first","model":"we\"ird\n","prompt":"p"}"#)
  }

  @Test func errorBody_isOpenAIShaped() {
    let error = OpenAIRequestError.missingField("model")
    let body = OpenAIErrorBody.make(
      message: error.description, type: "invalid_request_error", code: error.code)
    #expect(
      String(bytes: body)
        == #"{"error":{"message":"Missing required parameter: 'model'.","type":"invalid_request_error","code":"missing_required_parameter"}}"#
    )
    #expect(
      String(bytes: OpenAIErrorBody.modelNotFound("x\"y")).contains(#""code":"model_not_found""#))
    #expect(String(bytes: OpenAIErrorBody.modelNotFound("x\"y")).contains(#"'x\"y'"#))
  }
}
