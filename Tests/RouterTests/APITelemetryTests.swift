import ExtProc
import Logging
import Router
import Testing
import Tracing

/// The API attributes on the spans of Responses and Messages requests, routed natively and
/// translated.
@Suite struct APITelemetryTests {
  let spans = RecordingSpanProcessor()
  let tracing: RouterTracing
  let router = SemanticRouter(configuration: RouterFixtures.mixedAPIs)

  init() {
    tracing = RouterTracing(
      tracer: Tracer(
        processor: spans, clock: SteppingClock(), idGenerator: RandomIDGenerator(seed: 3)))
  }

  private func run(_ path: String, _ body: String) {
    let observer = tracing.makeObserver(ProcessorContext(metadata: HTTPHeaders(), peerAddress: "t"))
    let processor = SemanticRouterProcessor(
      router: router, observer: observer, logger: Logger(label: "test"))
    _ = processor.processRequestHeaders(
      HTTPHeadersMessage(headers: HTTPHeaders([(":method", "POST"), (":path", path)])))
    _ = processor.processRequestBody(
      HTTPBody(bytes: Array(body.utf8), endOfStream: true), mode: .buffered)
    _ = processor.processResponseHeaders(
      HTTPHeadersMessage(headers: [":status": "200", "content-type": "application/json"]))
    _ = processor.processResponseBody(
      HTTPBody(bytes: Array(#"{"model":"x","choices":[]}"#.utf8), endOfStream: true),
      mode: .buffered)
    processor.streamEnded(.completed)
  }

  @Test(arguments: [
    ("/v1/responses", #"{"model":"math-model","input":"hi"}"#, "responses", false),
    ("/v1/responses", #"{"model":"chat-model","input":"hi"}"#, "responses", true),
    (
      "/v1/messages",
      #"{"model":"math-model","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#,
      "messages", true
    ),
  ])
  func spans_nameTheAPI_andWhetherItWasTranslated(
    path: String, body: String, api: String, translated: Bool
  ) throws {
    run(path, body)
    let root = try spans.span(TracingRequestObserver.requestSpanName)
    let upstream = try spans.span(TracingRequestObserver.upstreamSpanName)
    #expect(root.attribute("semantic_router.api") == .string(api))
    #expect(root.attribute("gen_ai.operation.name") == .string("chat"))
    #expect(upstream.attribute("semantic_router.api.translated") == .bool(translated))
    #expect(
      upstream.attribute("semantic_router.api") == .string(translated ? "chat_completions" : api))
  }
}
