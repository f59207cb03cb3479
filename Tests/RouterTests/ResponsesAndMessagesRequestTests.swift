import Testing

@testable import Router

/// Parsing Responses and Messages request bodies: the text to classify, the parameters a
/// translation keeps, what it would lose, and the errors for bad bodies.
@Suite struct ResponsesAndMessagesRequestTests {
  private func parse(_ json: String, _ endpoint: OpenAIRequest.Endpoint) throws -> OpenAIRequest {
    try OpenAIRequest.parse(Array(json.utf8), endpoint: endpoint)
  }

  private func parameters(_ request: OpenAIRequest) -> [String: String] {
    Dictionary(
      uniqueKeysWithValues: request.parameters.map { ($0.name, String(bytes: $0.json)) })
  }

  @Test func responses_stringInput_isOneUserMessage_withInstructionsAsContext() throws {
    let request = try parse(
      #"{"model":"auto","instructions":"Be brief.","input":"Solve 2x = 4","stream":true,"#
        + #""max_output_tokens": 64,"temperature":0.2,"top_p":null}"#, .responses)
    #expect(request.model == "auto")
    #expect(request.stream)
    #expect(request.query.text == "Solve 2x = 4")
    #expect(request.query.context == "Be brief.")
    #expect(parameters(request) == ["max_tokens": "64", "temperature": "0.2"])
    #expect(request.untranslatable == nil)
  }

  @Test func responses_messageItems_readTextParts_andLastUserInputIsClassified() throws {
    let request = try parse(
      #"{"model":"m","input":[{"role":"developer","content":"Answer in French."},"#
        + #"{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]},"#
        + #"{"role":"assistant","content":[{"type":"output_text","text":"salut"}]},"#
        + #"{"role":"user","content":"what is 2+2?"}]}"#, .responses)
    #expect(request.messages.map(\.role) == ["developer", "user", "assistant", "user"])
    #expect(request.messages.map(\.content) == ["Answer in French.", "hi", "salut", "what is 2+2?"])
    #expect(request.query.text == "what is 2+2?")
    #expect(request.query.context == "Answer in French.")
  }

  @Test(arguments: [
    (#""tools":[{"type":"function","name":"f"}]"#, "tools"),
    (#""previous_response_id":"resp_1""#, "previous_response_id"),
    (#""store":true"#, "store"),
    (#""input":[{"role":"user","content":[{"type":"input_image","image_url":"x"}]}]"#,
     "content of type 'input_image'"),
    (#""input":[{"type":"function_call_output","call_id":"c","output":"4"}]"#,
     "input items of type 'function_call_output'"),
  ])
  func responses_notesWhatATranslationWouldLose(member: String, lost: String) throws {
    let input = member.hasPrefix(#""input""#) ? "" : #","input":"hi""#
    let request = try parse(#"{"model":"m","# + member + input + "}", .responses)
    #expect(request.untranslatable == lost)
  }

  @Test func responses_emptyToolsAndNullPreviousResponse_translate() throws {
    let request = try parse(
      #"{"model":"m","input":"hi","tools":[],"previous_response_id":null,"store":false}"#,
      .responses)
    #expect(request.untranslatable == nil)
  }

  @Test func responses_badBodies_getTheSameErrorsAsChat() {
    #expect(throws: OpenAIRequestError.missingField("input")) {
      try parse(#"{"model":"m"}"#, .responses)
    }
    #expect(throws: OpenAIRequestError.self) { try parse(#"{"model":"m","input":7}"#, .responses) }
    #expect(throws: OpenAIRequestError.self) {
      try parse(#"{"model":"m","input":[]}"#, .responses)
    }
    #expect(throws: OpenAIRequestError.missingField("model")) {
      try parse(#"{"input":"x"}"#, .responses)
    }
  }

  @Test func messages_systemAndContentBlocks_andParameters() throws {
    let request = try parse(
      #"{"model":"auto","max_tokens":100,"system":[{"type":"text","text":"You are terse."}],"#
        + #""messages":[{"role":"user","content":[{"type":"text","text":"Integrate x dx"}]}],"#
        + #""stop_sequences":["\n\n"],"temperature":1}"#, .messages)
    #expect(request.query.text == "Integrate x dx")
    #expect(request.query.context == "You are terse.")
    #expect(parameters(request) == ["max_tokens": "100", "stop": #"["\n\n"]"#, "temperature": "1"])
    #expect(request.untranslatable == nil)
  }

  @Test func messages_imagesAndTools_areNotedAsLost() throws {
    let image = try parse(
      #"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","#
        + #""source":{"type":"base64","media_type":"image/png","data":"AA=="}}]}]}"#, .messages)
    #expect(image.untranslatable == "content of type 'image'")
    let tools = try parse(
      #"{"model":"m","max_tokens":1,"tools":[{"name":"t"}],"messages":[{"role":"user","#
        + #""content":"hi"}]}"#, .messages)
    #expect(tools.untranslatable == "tools")
  }

  @Test func messages_requireMaxTokensAndMessages() {
    #expect(throws: OpenAIRequestError.missingField("max_tokens")) {
      try parse(#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#, .messages)
    }
    #expect(throws: OpenAIRequestError.missingField("messages")) {
      try parse(#"{"model":"m","max_tokens":5}"#, .messages)
    }
    #expect(throws: OpenAIRequestError.self) {
      try parse(
        #"{"model":"m","max_tokens":"5","messages":[{"role":"user","content":"hi"}]}"#, .messages)
    }
  }

  @Test func translatedRequest_isAChatCompletion_withUsageAskedForWhenStreamed() throws {
    let request = try parse(
      #"{"model":"auto","instructions":"Be brief.","input":[{"role":"developer","#
        + #""content":"French."},{"role":"user","content":"hi"}],"stream":true,"#
        + #""max_output_tokens":64}"#, .responses)
    let body = ChatCompletionsRequestTranslator.body(for: request, model: "chat-model")
    #expect(
      String(bytes: body)
        == #"{"model":"chat-model","messages":[{"role":"system","content":"Be brief."},"#
        + #"{"role":"system","content":"French."},{"role":"user","content":"hi"}],"#
        + #""stream":true,"stream_options":{"include_usage":true},"max_tokens":64}"#)
    #expect(try OpenAIRequest.parse(body, endpoint: .chatCompletions).messages.count == 3)
  }
}
