import ExtProc
import Metrics
import Router
import Testing

@Suite struct RouterMetricsTests {
  /// A real classification (training the classifier once), relabelled per test.
  private static let sample: Classification = {
    let configuration = try! RouterConfiguration.load(path: Repository.defaultConfigPath)
    return SemanticRouter(configuration: configuration).classifier.classify("What is 2 + 2?")
  }()

  private func classification(_ category: String) -> Classification {
    var result = Self.sample
    result.category = category
    return result
  }

  private func record(model: String) -> RoutingRecord {
    RoutingRecord(
      category: "math", confidence: 0.9, classifierType: "statistical", originalModel: "auto",
      selectedModel: model, reason: "category_model", endpointName: "a", endpointAddress: "b",
      stream: false)
  }

  @Test func routedRequest_isCountedOnceWithCategoryModelAndOutcome() {
    let registry = MetricsRegistry()
    let metrics = RouterMetrics(registry: registry)
    let observer = metrics.makeObserver()
    observer.requestStarted(method: "POST", path: "/v1/responses?x=1", headers: HTTPHeaders())
    observer.classificationStarted()
    observer.classificationFinished(classification("math"))
    observer.cacheLookupFinished(hit: false)
    _ = observer.routed(record(model: "m1"))
    observer.responseStarted(status: 200)
    observer.responseFinished(OpenAIResponseSummary())
    observer.streamEnded(.completed)
    let text = registry.renderPrometheusText()
    #expect(
      text.contains(
        #"semantic_router_requests_total{category="math",model="m1",outcome="ok","#
          + #"api="responses"} 1"#))
    #expect(text.contains("semantic_router_cache_misses_total 1"))
    #expect(text.contains("semantic_router_cache_hits_total 0"))
    #expect(text.contains("semantic_router_classification_duration_seconds_count 1"))
  }

  @Test(arguments: [
    (200, ProcessorStreamEnd.completed, false, "cache_hit"),
    (400, ProcessorStreamEnd.completed, false, "rejected"),
    (503, ProcessorStreamEnd.completed, true, "upstream_error"),
    (0, ProcessorStreamEnd.cancelled, true, "cancelled"),
    (0, ProcessorStreamEnd.completed, true, "client_disconnected"),
    (200, ProcessorStreamEnd.completed, true, "response_incomplete"),
    (200, ProcessorStreamEnd.cancelled, true, "cancelled"),
    (504, ProcessorStreamEnd.cancelled, true, "upstream_error"),
  ])
  func outcome_followsHowTheRequestEnded(
    status: Int, end: ProcessorStreamEnd, fromUpstream: Bool, outcome: String
  ) {
    let registry = MetricsRegistry()
    let observer = RouterMetrics(registry: registry).makeObserver()
    observer.classificationFinished(classification("law"))
    if fromUpstream {
      _ = observer.routed(record(model: "m2"))
      if status > 0 { observer.responseStarted(status: status) }
    } else {
      observer.immediateResponse(status: status, reason: "r", record: record(model: "m2"))
    }
    observer.streamEnded(end)
    #expect(
      registry.renderPrometheusText().contains(
        "semantic_router_requests_total{category=\"law\",model=\"m2\",outcome=\"\(outcome)\","
          + "api=\"none\"} 1"))
  }

  /// Model names the configuration does not know come from the client: as labels they would
  /// add a series per name without bound.
  @Test func unroutedModelNames_shareOneLabel() {
    let registry = MetricsRegistry()
    let metrics = RouterMetrics(registry: registry)
    for name in ["made-up-1", "made-up-2"] {
      var unrouted = record(model: "m2")
      unrouted.originalModel = name
      unrouted.selectedModel = nil
      let rejected = metrics.makeObserver()
      rejected.classificationFinished(classification("law"))
      rejected.immediateResponse(status: 400, reason: "unknown_model", record: unrouted)
      rejected.streamEnded(.completed)
      let passedThrough = metrics.makeObserver()
      passedThrough.classificationFinished(classification("law"))
      _ = passedThrough.routed(unrouted)
      passedThrough.responseStarted(status: 200)
      passedThrough.responseFinished(OpenAIResponseSummary())
      passedThrough.streamEnded(.completed)
    }
    let text = registry.renderPrometheusText()
    #expect(!text.contains("made-up"))
    #expect(
      text.contains(
        #"semantic_router_requests_total{category="law",model="unknown",outcome="rejected",api="none"} 2"#))
    #expect(
      text.contains(
        #"semantic_router_requests_total{category="law",model="unknown",outcome="ok",api="none"} 2"#))
  }

  /// Envoy resets a finished exchange's stream as often as it half-closes it.
  @Test(arguments: [ProcessorStreamEnd.completed, .cancelled])
  func finishedResponse_isOk_howeverTheStreamEnds(end: ProcessorStreamEnd) {
    let registry = MetricsRegistry()
    let observer = RouterMetrics(registry: registry).makeObserver()
    observer.classificationFinished(classification("law"))
    _ = observer.routed(record(model: "m2"))
    observer.responseStarted(status: 200)
    observer.responseFinished(OpenAIResponseSummary())
    observer.streamEnded(end)
    #expect(
      registry.renderPrometheusText().contains(
        #"semantic_router_requests_total{category="law",model="m2",outcome="ok",api="none"} 1"#))
  }

  @Test func cacheFigures_areReadFromTheCacheOnEachScrape() {
    let settings = SemanticCacheSettings(
      enabled: true, maxEntries: 1, maxBytes: 1 << 20, maxAnswerBytes: 10)
    let cache = SemanticCache(settings: settings)
    let registry = MetricsRegistry()
    _ = RouterMetrics(registry: registry, cache: cache)
    let vector = Self.sample.vector
    let answer = CachedResponse(body: Array("0123456789".utf8), contentType: "application/json")
    let text = registry.renderPrometheusText()
    #expect(text.contains("semantic_router_cache_bytes 0\n"))
    #expect(text.contains(#"semantic_router_cache_not_stored_total{reason="too_large"} 0"#))
    cache.store(key: "a", vector: vector, response: answer)
    cache.store(key: "b", vector: vector, response: answer)
    cache.store(key: "c", vector: vector, response: CachedResponse(body: [], contentType: "x"))
    cache.store(
      key: "d", vector: vector,
      response: CachedResponse(body: Array("too long!!!".utf8), contentType: "application/json"))
    let after = registry.renderPrometheusText()
    let size = SemanticCache.entryBytes(
      key: "c", response: CachedResponse(body: [], contentType: "x"))
    #expect(after.contains("semantic_router_cache_entries 1\n"))
    #expect(after.contains("semantic_router_cache_bytes \(size)\n"))
    #expect(after.contains(#"semantic_router_cache_evictions_total{reason="entries"} 2"#))
    #expect(after.contains(#"semantic_router_cache_evictions_total{reason="bytes"} 0"#))
    #expect(after.contains(#"semantic_router_cache_not_stored_total{reason="too_large"} 1"#))
  }

  @Test func withoutACache_noCacheSizeFiguresAreRegistered() {
    let registry = MetricsRegistry()
    _ = RouterMetrics(registry: registry)
    #expect(!registry.renderPrometheusText().contains("semantic_router_cache_bytes"))
  }

  @Test func composite_forwardsEveryHookAndJoinsUpstreamHeaders() {
    final class Injector: RequestObserver {
      let header: String
      var ended = false
      init(_ header: String) { self.header = header }
      func routed(_ record: RoutingRecord) -> [(name: String, value: String)] {
        [(name: header, value: "1")]
      }
      func streamEnded(_ end: ProcessorStreamEnd) { ended = true }
    }
    let first = Injector("a")
    let second = Injector("b")
    let composite = CompositeRequestObserver([first, second])
    #expect(composite.routed(record(model: "m")).map(\.name) == ["a", "b"])
    composite.streamEnded(.completed)
    #expect(first.ended && second.ended)
  }
}
