import ExtProc
import Foundation
import Router
import Synchronization
import Testing
import Tracing

/// A sink that keeps the lines it is given.
private final class RecordingSink: AccessLogSink {
  private let lines = Mutex<[[UInt8]]>([])

  var objects: [[String: Any]] {
    lines.withLock { $0 }.map {
      (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any] ?? [:]
    }
  }

  var raw: [String] { lines.withLock { $0 }.map { String(decoding: $0, as: UTF8.self) } }

  func submit(_ line: [UInt8]) { lines.withLock { $0.append(line) } }
}

@Suite struct AccessLogObserverTests {
  private let sink = RecordingSink()
  private let clock = ManualClock()

  private func record(stream: Bool = false) -> RoutingRecord {
    RoutingRecord(
      category: "math", confidence: 0.9, classifierType: "keyword", originalModel: "auto",
      selectedModel: "m1", reason: "category_model", endpointName: "vllm-a",
      endpointAddress: "http://a:8000", stream: stream)
  }

  private func observer(correlation: LogCorrelation? = nil) -> AccessLogRequestObserver {
    let clock = self.clock
    return AccessLogRequestObserver(
      sink: sink, correlation: { correlation }, now: { clock.read() })
  }

  @Test func routedStreamedRequest_isOneLineWithDurationsTokensAndTraceIDs() throws {
    let ids = LogCorrelation(traceID: String(repeating: "a", count: 32), spanID: "0123456789abcdef")
    let observer = observer(correlation: ids)
    observer.requestStarted(
      method: "POST", path: "/v1/chat/completions?x=1", headers: HTTPHeaders())
    observer.cacheLookupFinished(hit: false)
    _ = observer.routed(record(stream: true))
    observer.responseStarted(status: 200)
    clock.advance(.milliseconds(25))
    observer.firstToken()
    clock.advance(.milliseconds(75))
    observer.responseFinished(OpenAIResponseSummary(promptTokens: 10, completionTokens: 4))
    observer.streamEnded(.completed)
    let lines = sink.raw
    try #require(lines.count == 1)
    #expect(lines[0].hasSuffix("}\n") && lines[0].filter { $0 == "\n" }.count == 1)
    let line = try #require(sink.objects.first)
    #expect(line["path"] as? String == "/v1/chat/completions")
    #expect(line["api"] as? String == "chat_completions")
    #expect(line["model"] as? String == "m1")
    #expect(line["original_model"] as? String == "auto")
    #expect(line["endpoint"] as? String == "vllm-a")
    #expect(line["cache_hit"] as? Bool == false)
    #expect(line["status"] as? Int == 200)
    #expect(line["outcome"] as? String == "ok")
    #expect(line["duration_ms"] as? Double == 100)
    #expect(line["time_to_first_token_ms"] as? Double == 25)
    #expect(line["input_tokens"] as? Int == 10)
    #expect(line["output_tokens"] as? Int == 4)
    #expect(line["trace_id"] as? String == ids.traceID)
    #expect(line["span_id"] as? String == ids.spanID)
  }

  @Test func cacheHit_andRejection_sayWhatTheRouterAnswered() throws {
    let hit = observer()
    hit.requestStarted(method: "POST", path: "/v1/completions", headers: HTTPHeaders())
    hit.cacheLookupFinished(hit: true)
    hit.immediateResponse(status: 200, reason: "cache_hit", record: record())
    hit.streamEnded(.completed)
    let rejected = observer()
    rejected.requestStarted(method: "POST", path: "/v1/chat/completions", headers: HTTPHeaders())
    rejected.immediateResponse(status: 413, reason: "request_too_large", record: nil)
    rejected.streamEnded(.completed)
    let lines = sink.objects
    try #require(lines.count == 2)
    #expect(lines[0]["outcome"] as? String == "cache_hit")
    #expect(lines[0]["cache_hit"] as? Bool == true)
    #expect(lines[0]["trace_id"] == nil)
    #expect(lines[1]["status"] as? Int == 413)
    #expect(lines[1]["outcome"] as? String == "request_too_large")
    #expect(lines[1]["model"] == nil)
  }

  @Test func tracingObserver_namesItsRootSpanForLogs() throws {
    let spans = RecordingSpanProcessor()
    let tracing = RouterTracing(tracer: Tracer(processor: spans))
    let observer = try #require(
      tracing.makeObserver(ProcessorContext(metadata: HTTPHeaders(), peerAddress: "t")))
    #expect(observer.logCorrelation == nil)
    observer.requestStarted(method: "POST", path: "/v1/chat/completions", headers: HTTPHeaders())
    observer.streamEnded(.completed)
    let root = try spans.span(TracingRequestObserver.requestSpanName)
    #expect(
      observer.logCorrelation
        == LogCorrelation(
          traceID: root.context.traceID.hexString, spanID: root.context.spanID.hexString))
    let composite = CompositeRequestObserver([UntracedObserver(), observer])
    #expect(composite.logCorrelation == observer.logCorrelation)
  }
}

/// An observer that traces nothing.
private final class UntracedObserver: RequestObserver {}
