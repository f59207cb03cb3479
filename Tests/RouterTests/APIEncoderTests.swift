import Testing

@testable import Router

/// The Responses and Messages encoders: what they write reads back as the same answer (the
/// cache replays stored answers this way), and native answers give their usage.
@Suite struct APIEncoderTests {
  private let answer = GeneratedAnswer(
    id: "chatcmpl-1", model: "m", created: 42, text: "Hi \"there\"\n", finishReason: "length",
    inputTokens: 7, outputTokens: 2)

  @Test func responseObject_readsBackAsTheSameAnswer() throws {
    let value = try #require(JSONValue.parse(ResponsesAPIEncoder.json(answer)))
    #expect(value["status"]?.stringValue == "incomplete")
    #expect(value["incomplete_details"]?["reason"]?.stringValue == "max_output_tokens")
    #expect(value["usage"]?["total_tokens"]?.intValue == 9)
    #expect(ResponsesAPIEncoder.answer(from: value) == answer)
  }

  @Test func messageObject_readsBackAsTheSameAnswer_butForItsTime() throws {
    let value = try #require(JSONValue.parse(MessagesAPIEncoder.json(answer)))
    #expect(value["stop_reason"]?.stringValue == "max_tokens")
    #expect(value["id"]?.stringValue == "msg_chatcmpl-1")
    var expected = answer
    expected.created = 0  // a message has no creation time
    #expect(MessagesAPIEncoder.answer(from: value) == expected)
  }

  @Test func nativeAnswers_giveModelUsageAndContent() {
    let response = Array(
      (#"{"id":"resp_1","object":"response","status":"completed","model":"r","#
        + #""output":[{"type":"message","content":[{"type":"output_text","text":"ok"}]}],"#
        + #""usage":{"input_tokens":3,"output_tokens":1}}"#).utf8)
    #expect(
      OpenAIResponseSummary.parse(response, api: .responses)
        == OpenAIResponseSummary(
          model: "r", promptTokens: 3, completionTokens: 1, hasGeneratedContent: true))
    let message = Array(
      (#"{"id":"msg_1","type":"message","role":"assistant","model":"c","#
        + #""content":[{"type":"text","text":""}],"usage":{"input_tokens":5,"output_tokens":0}}"#)
        .utf8)
    #expect(
      OpenAIResponseSummary.parse(message, api: .messages)
        == OpenAIResponseSummary(model: "c", promptTokens: 5, completionTokens: 0))
    let error = Array(#"{"type":"error","error":{"type":"api_error","message":"x"}}"#.utf8)
    #expect(OpenAIResponseSummary.parse(error, api: .messages) == OpenAIResponseSummary())
    #expect(OpenAIResponseSummary.parse(Array("not json".utf8), api: .responses) == nil)
  }

  @Test func jsonValue_keepsNumbersAndEscapesExactly() throws {
    let text = #"{"a":[1.50,-2e3,true,null],"b":"\u00e9\n\"","a":{"c":{}}}"#
    let value = try #require(JSONValue.parse(Array(text.utf8)))
    #expect(value["a"]?["c"] == .object([]))  // the last of a repeated key
    #expect(
      String(decoding: value.serialized, as: UTF8.self)
        == #"{"a":[1.50,-2e3,true,null],"b":"é\n\"","a":{"c":{}}}"#)
    #expect(JSONValue.parse(Array(#"{"a":1} x"#.utf8)) == nil)
  }
}
