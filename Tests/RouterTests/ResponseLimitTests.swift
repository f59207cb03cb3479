import ExtProc
import Foundation
import Logging
import Metrics
import Testing

@testable import Router

/// The bounds on what the router keeps of a backend's answer: an event-stream line or event
/// past `max_sse_event_bytes` stops the parser, the observer and the translator (the bytes
/// still pass, the translated stream ends with its API's error event), a translated Responses
/// text past `max_translated_answer_bytes` ends that stream too, and each is counted.
@Suite struct ResponseLimitTests {
  private let logger = Logger(label: "test")
  private static let cap = 64 << 10

  private static func dataEvent(_ json: String) -> [UInt8] { Array("data: \(json)\n\n".utf8) }

  private static let firstChunk = dataEvent(
    #"{"id":"c","model":"m1","choices":[{"index":0,"delta":{"content":"Hi"}}]}"#)
  private static let usageChunk = dataEvent(
    #"{"id":"c","model":"m1","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2}}"#)

  /// `count` bytes of one `data:` line that never ends, fed `chunk` bytes at a time.
  private static func endlessLine(_ count: Int, chunk: Int) -> [[UInt8]] {
    let line = Array("data: ".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: count)
    return stride(from: 0, to: line.count, by: chunk).map {
      Array(line[$0..<min($0 + chunk, line.count)])
    }
  }

  // MARK: - Parser

  @Test func parser_dropsANewlineLessLinePastTheCap_andHoldsNothing() {
    var parser = ServerSentEventParser(maxEventBytes: Self.cap)
    var events: [ServerSentEventParser.Event] = []
    parser.feed(Self.firstChunk) { events.append($0) }
    var mostHeld = 0
    for chunk in Self.endlessLine(4 << 20, chunk: 16 << 10) {
      parser.feed(chunk) { events.append($0) }
      mostHeld = max(mostHeld, parser.heldBytes)
    }
    parser.feed(Array("\n\n".utf8) + Self.usageChunk) { events.append($0) }
    #expect(parser.limitExceeded)
    #expect(mostHeld <= Self.cap)
    #expect(parser.heldBytes == 0)
    #expect(events.count == 1, "nothing after the long line is parsed")
  }

  @Test func parser_capsAnEventsDataAcrossManyLines() {
    var parser = ServerSentEventParser(maxEventBytes: Self.cap)
    let line = Array(("data: " + String(repeating: "y", count: 1000) + "\n").utf8)
    var events = 0
    for _ in 0..<200 { parser.feed(line) { _ in events += 1 } }
    #expect(parser.limitExceeded)
    #expect(parser.heldBytes == 0)
    #expect(events == 0)
  }

  @Test func parser_takesALineAndAnEventOfExactlyTheCap() {
    let cap = 1024
    var parser = ServerSentEventParser(maxEventBytes: cap)
    let value = String(repeating: "z", count: cap - "data: ".utf8.count)
    var events: [ServerSentEventParser.Event] = []
    parser.feed(Array("data: \(value)\n\n".utf8)) { events.append($0) }
    // Two data lines joined by LF: cap bytes of data in all.
    let half = String(repeating: "w", count: (cap - 1) / 2)
    parser.feed(Array("data:\(half)\ndata:\(half)\n\n".utf8)) { events.append($0) }
    #expect(!parser.limitExceeded)
    #expect(events.map(\.data.count) == [value.utf8.count, 2 * half.utf8.count + 1])
    parser.feed(Array("data: \(value)z\n".utf8)) { events.append($0) }
    #expect(parser.limitExceeded)
  }

  @Test(arguments: [1, 7, 1000, 70_000])
  func parser_stopsAtTheSameEvent_whateverTheChunking(size: Int) {
    let long = Array(("data: " + String(repeating: "q", count: 5000) + "\n\n").utf8)
    let stream = Self.firstChunk + Self.firstChunk + long + Self.usageChunk
    var parser = ServerSentEventParser(maxEventBytes: 4096)
    var count = 0
    for start in stride(from: 0, to: stream.count, by: size) {
      parser.feed(Array(stream[start..<min(start + size, stream.count)])) { _ in count += 1 }
    }
    #expect(parser.limitExceeded)
    #expect(count == 2)
  }

  // MARK: - Observer

  @Test func streamObserver_stopsAtTheCap_keepingWhatItSawBefore() {
    var observer = OpenAIStreamObserver(maxEventBytes: Self.cap)
    let firstChunkHadToken = observer.observe(Self.firstChunk)
    #expect(firstChunkHadToken)
    for chunk in Self.endlessLine(1 << 20, chunk: 32 << 10) { observer.observe(chunk) }
    observer.observe(Array("\n\n".utf8) + Self.usageChunk + Self.dataEvent("[DONE]"))
    #expect(observer.limitExceeded)
    #expect(observer.sawFirstToken)
    #expect(observer.summary.model == "m1")
    #expect(observer.summary.completionTokens == nil, "usage after the cap is unknown")
    #expect(!observer.sawDone)
  }

  // MARK: - Through the processor

  private func router(_ settings: String) throws -> SemanticRouter {
    let yaml = """
      models:
        - name: chat-model
          category: [general]
          endpoints:
            - { name: c1, address: "http://127.0.0.1:8103", apis: [chat_completions] }
      default_model: chat-model
      \(settings)
      """
    return SemanticRouter(configuration: try RouterConfiguration.parse(yaml: yaml))
  }

  private func processor(
    _ observer: RecordingObserver?, limits: String
  ) throws -> SemanticRouterProcessor {
    SemanticRouterProcessor(router: try router(limits), observer: observer, logger: logger)
  }

  /// Routes `request` to `path`, answers it with an event stream of `chunks`, and returns what
  /// the client gets: each chunk unchanged, replaced or cleared.
  private func stream(
    _ processor: SemanticRouterProcessor, _ path: String, _ request: String,
    _ chunks: [[UInt8]]
  ) -> [UInt8] {
    _ = processor.processRequestHeaders(
      HTTPHeadersMessage(
        headers: HTTPHeaders([
          (":method", "POST"), (":path", path), ("content-type", "application/json"),
        ])))
    _ = processor.processRequestBody(
      HTTPBody(bytes: Array(request.utf8), endOfStream: true), mode: .buffered)
    _ = processor.processResponseHeaders(
      HTTPHeadersMessage(headers: [":status": "200", "content-type": "text/event-stream"]))
    var client: [UInt8] = []
    for (index, chunk) in chunks.enumerated() {
      let body = HTTPBody(bytes: chunk, endOfStream: index == chunks.count - 1)
      switch processor.processResponseBody(body, mode: .streamed) {
      case .passThrough: client += chunk
      case .respond(let response):
        switch response.bodyMutation {
        case .replace(let bytes): client += bytes
        case .clear: break
        default: client += chunk
        }
      case .immediate, .later:
        Issue.record("stream answered early or not at once")
      }
    }
    return client
  }

  private func events(_ bytes: [UInt8]) -> [(name: String?, data: [String: Any])] {
    var parser = ServerSentEventParser()
    var events: [ServerSentEventParser.Event] = []
    parser.feed(bytes) { events.append($0) }
    return events.map {
      ($0.name, (try? JSONSerialization.jsonObject(with: Data($0.data))) as? [String: Any] ?? [:])
    }
  }

  @Test func chatStream_pastTheCap_passesUnchanged_andIsCountedOnce() throws {
    let observer = RecordingObserver()
    let processor = try processor(observer, limits: "max_sse_event_bytes: \(Self.cap)")
    let chunks =
      [Self.firstChunk] + Self.endlessLine(1 << 20, chunk: 32 << 10)
      + [Array("\n\n".utf8) + Self.usageChunk]
    let client = stream(
      processor, "/v1/chat/completions",
      #"{"model":"chat-model","stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
      chunks)
    #expect(client == chunks.flatMap { $0 })
    #expect(observer.events.filter { $0.hasPrefix("limit") } == ["limit sse_event"])
    let limitAt = try #require(observer.events.firstIndex(of: "limit sse_event"))
    let finishedAt = try #require(observer.events.firstIndex(of: "finished -1/-1"))
    #expect(limitAt < finishedAt, "counted before the spans end")
  }

  @Test(arguments: [
    ("/v1/responses", #"{"model":"chat-model","input":"hi","stream":true}"#, "response.failed"),
    (
      "/v1/messages",
      #"{"model":"chat-model","max_tokens":9,"stream":true,"#
        + #""messages":[{"role":"user","content":"hi"}]}"#, "error"
    ),
  ])
  func translatedStream_pastTheEventCap_endsWithTheAPIsErrorEvent(
    path: String, request: String, errorEvent: String
  ) throws {
    let observer = RecordingObserver()
    let processor = try processor(observer, limits: "max_sse_event_bytes: \(Self.cap)")
    let client = stream(
      processor, path, request,
      [Self.firstChunk] + Self.endlessLine(1 << 20, chunk: 32 << 10)
        + [Array("\n\n".utf8) + Self.usageChunk + Self.dataEvent("[DONE]")])
    let events = events(client)
    #expect(events.last?.name == errorEvent)
    #expect(events.filter { $0.name == errorEvent }.count == 1)
    #expect(String(decoding: client, as: UTF8.self).contains("max_sse_event_bytes (65536 bytes)"))
    #expect(observer.events.filter { $0.hasPrefix("limit") } == ["limit sse_event"])
  }

  @Test func translatedResponses_pastTheAnswerCap_endWithResponseFailed() throws {
    let observer = RecordingObserver()
    let processor = try processor(observer, limits: "max_translated_answer_bytes: 1024")
    let piece = String(repeating: "t", count: 100)
    let deltas = (0..<20).map { _ in
      Self.dataEvent(
        #"{"id":"c","model":"m1","choices":[{"index":0,"delta":{"content":""#
          + piece + #""}}]}"#)
    }
    let client = stream(
      processor, "/v1/responses", #"{"model":"chat-model","input":"hi","stream":true}"#,
      deltas + [Self.usageChunk + Self.dataEvent("[DONE]")])
    let events = events(client)
    #expect(events.filter { $0.name == "response.output_text.delta" }.count == 10)
    #expect(events.last?.name == "response.failed")
    #expect(!events.contains { $0.name == "response.completed" })
    #expect(observer.events.filter { $0.hasPrefix("limit") } == ["limit translated_answer"])
    // The backend's stream itself was read to its end: usage is known.
    #expect(observer.events.contains("finished 7/2"))
  }

  @Test(arguments: [false, true])
  func streamedAnswer_pastTheCap_isNotCached(withLongLine: Bool) throws {
    let router = try router(
      "max_sse_event_bytes: \(Self.cap)\nsemantic_cache: { enabled: true }")
    let request =
      #"{"model":"chat-model","stream":true,"#
      + #""messages":[{"role":"user","content":"tell me a joke"}]}"#
    let end =
      Self.dataEvent(
        #"{"id":"c","model":"m1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#)
      + Self.usageChunk + Self.dataEvent("[DONE]")
    let long = withLongLine ? Self.endlessLine(1 << 20, chunk: 32 << 10) : []
    let first = SemanticRouterProcessor(router: router, observer: nil, logger: logger)
    _ = stream(first, "/v1/chat/completions", request, [Self.firstChunk] + long + [end])

    let second = SemanticRouterProcessor(router: router, observer: nil, logger: logger)
    _ = second.processRequestHeaders(
      HTTPHeadersMessage(
        headers: HTTPHeaders([(":method", "POST"), (":path", "/v1/chat/completions")])))
    let decision = second.processRequestBody(
      HTTPBody(bytes: Array(request.utf8), endOfStream: true), mode: .buffered)
    var hit = false
    if case .immediate = decision { hit = true }
    #expect(hit == !withLongLine, "a stream the router stopped reading is never stored")
  }

  // MARK: - Settings and metrics

  @Test func settings_defaultToOneMiB_andRejectOutOfRangeValues() throws {
    let base = """
      models: [{ name: m, endpoints: [{ name: e, address: "http://h:1" }] }]
      default_model: m
      """
    let defaults = try RouterConfiguration.parse(yaml: base)
    #expect(defaults.maxSSEEventBytes == 1 << 20)
    #expect(defaults.maxTranslatedAnswerBytes == 1 << 20)
    let set = try RouterConfiguration.parse(
      yaml: base + "\nmax_sse_event_bytes: 4096\nmax_translated_answer_bytes: 8192\n")
    #expect(set.maxSSEEventBytes == 4096)
    #expect(set.maxTranslatedAnswerBytes == 8192)
    do {
      _ = try RouterConfiguration.parse(
        yaml: base + "\nmax_sse_event_bytes: 10\nmax_translated_answer_bytes: big\n")
      Issue.record("out-of-range limits accepted")
    } catch {
      let paths = error.issues.map(\.path)
      #expect(paths.contains("max_sse_event_bytes"))
      #expect(paths.contains("max_translated_answer_bytes"))
    }
  }

  @Test func metrics_countEachLimit_startingAtZero() {
    let registry = MetricsRegistry()
    let metrics = RouterMetrics(registry: registry)
    let before = registry.renderPrometheusText()
    #expect(before.contains(#"semantic_router_response_limit_exceeded_total{limit="sse_event"} 0"#))
    let observer = metrics.makeObserver()
    observer.responseLimitExceeded(.sseEvent)
    let after = registry.renderPrometheusText()
    #expect(after.contains(#"semantic_router_response_limit_exceeded_total{limit="sse_event"} 1"#))
    let translated = #"semantic_router_response_limit_exceeded_total{limit="translated_answer"} 0"#
    #expect(after.contains(translated))
  }
}
