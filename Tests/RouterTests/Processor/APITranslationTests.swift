import ExtProc
import Foundation
import Logging
import Testing

@testable import Router

/// Responses and Messages requests through the processor: routed natively to a backend that
/// serves their API, translated to chat completions (request, answer, events, errors) for one
/// that does not, refused when a translation would lose something, cached per API.
@Suite struct APITranslationTests {
  private let logger = Logger(label: "test")

  private static let chatCompletion = Array(
    #"{"id":"c1","object":"chat.completion","created":7,"model":"chat-model","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#
      .utf8)

  /// A chat-completions event stream of "Hello there" with a usage chunk.
  private static let chatEvents = Array(
    ([
      #"{"id":"c2","object":"chat.completion.chunk","created":7,"model":"chat-model","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
      #"{"id":"c2","object":"chat.completion.chunk","created":7,"model":"chat-model","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}"#,
      #"{"id":"c2","object":"chat.completion.chunk","created":7,"model":"chat-model","choices":[{"index":0,"delta":{"content":" there"},"finish_reason":"stop"}]}"#,
      #"{"id":"c2","object":"chat.completion.chunk","created":7,"model":"chat-model","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2}}"#,
      "[DONE]",
    ].map { "data: \($0)\n\n" }.joined()).utf8)

  private func processor(
    _ observer: RecordingObserver? = nil, router: SemanticRouter? = nil
  ) -> SemanticRouterProcessor {
    SemanticRouterProcessor(
      router: router ?? SemanticRouter(configuration: RouterFixtures.mixedAPIs),
      observer: observer, logger: logger)
  }

  private func send(
    _ processor: SemanticRouterProcessor, _ path: String, _ json: String
  ) -> BodyDecision {
    _ = processor.processRequestHeaders(
      HTTPHeadersMessage(
        headers: HTTPHeaders([
          (":method", "POST"), (":path", path), ("content-type", "application/json"),
        ])))
    return processor.processRequestBody(
      HTTPBody(bytes: Array(json.utf8), endOfStream: true), mode: .buffered)
  }

  private func header(_ mutation: HeaderMutation, _ name: String) -> String? {
    mutation.setHeaders.first { $0.name == name }?.value
  }

  private func json(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
  }

  /// The events of an event stream: (event name, data as JSON).
  private func events(_ bytes: [UInt8]) throws -> [(name: String?, data: [String: Any])] {
    var parser = ServerSentEventParser()
    var events: [ServerSentEventParser.Event] = []
    parser.feed(bytes) { events.append($0) }
    return try events.map { ($0.name, try json($0.data)) }
  }

  private func respondHeaders(
    _ processor: SemanticRouterProcessor, status: Int = 200, type: String
  ) -> HeadersDecision {
    processor.processResponseHeaders(
      HTTPHeadersMessage(headers: [":status": String(status), "content-type": type]))
  }

  // MARK: - Requests

  @Test func responses_toABackendServingIt_goAsTheyAre_withTheModelRewritten() throws {
    let observer = RecordingObserver()
    let processor = processor(observer)
    guard
      case .respond(let answer) = send(
        processor, "/v1/responses", #"{"model":"auto","input":"solve the equation 2x = 4"}"#)
    else {
      Issue.record("not routed")
      return
    }
    #expect(header(answer.headerMutation, "x-selected-cluster") == "vsr_m1")
    #expect(header(answer.headerMutation, ":path") == nil)
    guard case .replace(let body) = answer.bodyMutation else {
      Issue.record("model not rewritten")
      return
    }
    #expect(String(bytes: body) == #"{"model":"math-model","input":"solve the equation 2x = 4"}"#)
    #expect(observer.records.first?.api == "responses")
    #expect(observer.records.first?.translated == false)
  }

  @Test func responses_toAChatOnlyBackend_becomeAChatCompletion_andTheAnswerAResponse() throws {
    let observer = RecordingObserver()
    let processor = processor(observer)
    guard
      case .respond(let answer) = send(
        processor, "/v1/responses",
        #"{"model":"auto","instructions":"Be kind.","input":"tell me a joke","#
          + #""max_output_tokens":50}"#)
    else {
      Issue.record("not routed")
      return
    }
    #expect(header(answer.headerMutation, "x-selected-cluster") == "vsr_c1")
    #expect(header(answer.headerMutation, ":path") == "/v1/chat/completions")
    #expect(answer.headerMutation.removeHeaders == ["accept-encoding"])
    guard case .replace(let body) = answer.bodyMutation else {
      Issue.record("body not translated")
      return
    }
    let chat = try json(body)
    #expect(chat["model"] as? String == "chat-model")
    #expect(chat["max_tokens"] as? Int == 50)
    #expect((chat["messages"] as? [[String: String]])?.first?["content"] == "Be kind.")
    #expect(header(answer.headerMutation, "content-length") == String(body.count))
    #expect(observer.records.first?.translated == true)

    guard case .respond(let headers, nil) = respondHeaders(processor, type: "application/json")
    else {
      Issue.record("expected a headers answer without mode override")
      return
    }
    #expect(header(headers.headerMutation, "content-type") == "application/json")
    guard
      case .respond(let translated) = processor.processResponseBody(
        HTTPBody(bytes: Self.chatCompletion, endOfStream: true), mode: .buffered),
      case .replace(let responseBody) = translated.bodyMutation
    else {
      Issue.record("answer not translated")
      return
    }
    #expect(header(translated.headerMutation, "content-length") == String(responseBody.count))
    let response = try json(responseBody)
    #expect(response["object"] as? String == "response")
    #expect(response["status"] as? String == "completed")
    #expect(response["model"] as? String == "chat-model")
    let output = try #require((response["output"] as? [[String: Any]])?.first)
    let part = try #require((output["content"] as? [[String: Any]])?.first)
    #expect(part["type"] as? String == "output_text")
    #expect(part["text"] as? String == "Hello there")
    let usage = try #require(response["usage"] as? [String: Any])
    #expect(usage["input_tokens"] as? Int == 9)
    #expect(usage["output_tokens"] as? Int == 3)
    #expect(observer.events.contains("finished 9/3"))
  }

  @Test func untranslatableRequest_isRefusedOnlyWhenItNeedsATranslation() throws {
    let tools = #""tools":[{"type":"function","name":"f","parameters":{}}]"#
    let refused = processor()
    guard
      case .immediate(let answer) = send(
        refused, "/v1/responses", #"{"model":"chat-model","input":"hi","# + tools + "}")
    else {
      Issue.record("not refused")
      return
    }
    #expect(answer.status == 400)
    let error = try #require(try json(answer.body)["error"] as? [String: Any])
    #expect(error["code"] as? String == "translation_unsupported")
    #expect((error["message"] as? String)?.contains("tools") == true)

    let native = processor()
    guard
      case .respond = send(
        native, "/v1/responses", #"{"model":"math-model","input":"hi","# + tools + "}")
    else {
      Issue.record("a request its backend serves natively was refused")
      return
    }
  }

  @Test func messagesErrors_areInAnthropicsShape() throws {
    for (body, status, type) in [
      (#"{"model":"auto","messages":[{"role":"user","content":"hi"}]}"#, 400,
       "invalid_request_error"),
      (#"{"model":"claude-9","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#, 404,
       "not_found_error"),
    ] {
      guard case .immediate(let answer) = send(processor(), "/v1/messages", body) else {
        Issue.record("not answered: \(body)")
        continue
      }
      #expect(answer.status == status)
      let error = try json(answer.body)
      #expect(error["type"] as? String == "error")
      #expect((error["error"] as? [String: Any])?["type"] as? String == type)
    }
  }

  // MARK: - Streams

  /// Feeds `chatEvents` in pieces of `size` bytes and returns what the client gets.
  private func streamTranslated(
    _ path: String, _ request: String, observer: RecordingObserver, size: Int
  ) throws -> [UInt8] {
    let processor = processor(observer)
    guard case .respond = send(processor, path, request) else {
      Issue.record("not routed")
      return []
    }
    guard case .respond(_, let mode?) = respondHeaders(processor, type: "text/event-stream")
    else {
      Issue.record("not switched to STREAMED")
      return []
    }
    #expect(mode.responseBodyMode == .streamed)
    var output: [UInt8] = []
    var offset = 0
    while offset < Self.chatEvents.count {
      let end = min(offset + size, Self.chatEvents.count)
      let chunk = HTTPBody(
        bytes: Array(Self.chatEvents[offset..<end]), endOfStream: end == Self.chatEvents.count)
      switch processor.processResponseBody(chunk, mode: .streamed) {
      case .respond(let response):
        if case .replace(let bytes) = response.bodyMutation { output += bytes }
      case .immediate, .later:
        Issue.record("stream answered early or not at once")
      }
      offset = end
    }
    return output
  }

  @Test(arguments: [7, 64, 100_000])
  func streamedMessages_becomeAnthropicEvents_whateverTheChunking(size: Int) throws {
    let observer = RecordingObserver()
    let output = try streamTranslated(
      "/v1/messages",
      #"{"model":"auto","max_tokens":20,"stream":true,"#
        + #""messages":[{"role":"user","content":"tell me a joke"}]}"#,
      observer: observer, size: size)
    let events = try events(output)
    #expect(
      events.map(\.name) == [
        "message_start", "content_block_start", "content_block_delta", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop",
      ])
    #expect(events.map { $0.data["type"] as? String } == events.map(\.name))
    let text = events.compactMap { ($0.data["delta"] as? [String: Any])?["text"] as? String }
    #expect(text.joined() == "Hello there")
    let delta = try #require(events.first { $0.name == "message_delta" }?.data)
    #expect((delta["delta"] as? [String: Any])?["stop_reason"] as? String == "end_turn")
    #expect((delta["usage"] as? [String: Any])?["output_tokens"] as? Int == 2)
    #expect(observer.events.contains("first token"))
    #expect(observer.events.contains("finished 9/2"))
  }

  @Test(arguments: [5, 100_000])
  func streamedResponses_becomeResponsesEvents_endingCompletedWithUsage(size: Int) throws {
    let output = try streamTranslated(
      "/v1/responses", #"{"model":"chat-model","input":"hi","stream":true}"#,
      observer: RecordingObserver(), size: size)
    let events = try events(output)
    #expect(
      events.map(\.name) == [
        "response.created", "response.in_progress", "response.output_item.added",
        "response.content_part.added", "response.output_text.delta",
        "response.output_text.delta", "response.output_text.done", "response.content_part.done",
        "response.output_item.done", "response.completed",
      ])
    #expect(events.map { $0.data["sequence_number"] as? Int } == Array(0..<10).map { $0 })
    let done = try #require(events.first { $0.name == "response.output_text.done" }?.data)
    #expect(done["text"] as? String == "Hello there")
    let completed = try #require(events.last?.data["response"] as? [String: Any])
    #expect((completed["usage"] as? [String: Any])?["output_tokens"] as? Int == 2)
    #expect(completed["status"] as? String == "completed")
  }

  @Test func backendErrors_areTranslatedIntoTheClientsErrorShape() throws {
    let vllmError = Array(
      #"{"object":"error","message":"model overloaded","type":"InternalServerError","code":500}"#
        .utf8)
    for (path, request) in [
      ("/v1/responses", #"{"model":"chat-model","input":"hi"}"#),
      (
        "/v1/messages",
        #"{"model":"chat-model","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#
      ),
    ] {
      let processor = processor()
      _ = send(processor, path, request)
      _ = respondHeaders(processor, status: 500, type: "application/json")
      guard
        case .respond(let response) = processor.processResponseBody(
          HTTPBody(bytes: vllmError, endOfStream: true), mode: .buffered),
        case .replace(let body) = response.bodyMutation
      else {
        Issue.record("error not translated for \(path)")
        continue
      }
      let error = try json(body)
      if path == "/v1/messages" {
        #expect(error["type"] as? String == "error")
        let inner = try #require(error["error"] as? [String: Any])
        #expect(inner["type"] as? String == "api_error")
        #expect(inner["message"] as? String == "model overloaded")
      } else {
        let inner = try #require(error["error"] as? [String: Any])
        #expect(inner["type"] as? String == "server_error")
        #expect(inner["message"] as? String == "model overloaded")
      }
    }
  }

  @Test func nativeStreams_giveFirstTokenAndUsage() {
    var responses = OpenAIStreamObserver(api: .responses)
    let created = Array(
      "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{}}\n\n".utf8)
    let createdHadToken = responses.observe(created)
    #expect(!createdHadToken)
    let delta = Array(
      "data: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\n".utf8)
    let deltaHadToken = responses.observe(delta)
    #expect(deltaHadToken)
    responses.observe(
      Array(
        ("data: {\"type\":\"response.completed\",\"response\":{\"model\":\"m\","
          + "\"usage\":{\"input_tokens\":4,\"output_tokens\":6}}}\n\n").utf8))
    #expect(responses.sawDone)
    #expect(responses.summary == OpenAIResponseSummary(
      model: "m", promptTokens: 4, completionTokens: 6, hasGeneratedContent: true))

    var messages = OpenAIStreamObserver(api: .messages)
    messages.observe(
      Array(
        ("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"c\","
          + "\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n").utf8))
    let blockHadToken = messages.observe(
      Array(
        ("data: {\"type\":\"content_block_delta\",\"index\":0,"
          + "\"delta\":{\"type\":\"text_delta\",\"text\":\"Yo\"}}\n\n").utf8))
    #expect(blockHadToken)
    messages.observe(
      Array(
        ("data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
          + "\"usage\":{\"output_tokens\":8}}\n\ndata: {\"type\":\"message_stop\"}\n\n").utf8))
    #expect(messages.sawDone)
    #expect(messages.summary == OpenAIResponseSummary(
      model: "c", promptTokens: 5, completionTokens: 8, hasGeneratedContent: true))
  }

  // MARK: - Cache

  @Test func cachedAnswers_areReplayedInTheirAPIsShape_andKeptApartByAPI() throws {
    let router = SemanticRouter(configuration: RouterFixtures.mixedAPIs)
    let request = #"{"model":"chat-model","input":"tell me a joke"}"#
    let first = processor(router: router)
    _ = send(first, "/v1/responses", request)
    _ = respondHeaders(first, type: "application/json")
    _ = first.processResponseBody(
      HTTPBody(bytes: Self.chatCompletion, endOfStream: true), mode: .buffered)

    guard case .immediate(let hit) = send(processor(router: router), "/v1/responses", request)
    else {
      Issue.record("no cache hit")
      return
    }
    #expect(try json(hit.body)["object"] as? String == "response")
    #expect(header(hit.headers, "x-vsr-cache-hit") == "true")

    let streamed = #"{"model":"chat-model","input":"tell me a joke","stream":true}"#
    guard
      case .immediate(let streamHit) = send(processor(router: router), "/v1/responses", streamed)
    else {
      Issue.record("no cache hit for the stream")
      return
    }
    #expect(header(streamHit.headers, "content-type") == "text/event-stream")
    let replay = try events(streamHit.body)
    #expect(replay.first?.name == "response.created")
    #expect(replay.last?.name == "response.completed")
    #expect(
      replay.compactMap { $0.data["delta"] as? String }.joined() == "Hello there")

    let chat = #"{"model":"chat-model","messages":[{"role":"user","content":"tell me a joke"}]}"#
    guard case .respond = send(processor(router: router), "/v1/chat/completions", chat) else {
      Issue.record("a chat request was answered with the Responses answer")
      return
    }
  }
}
