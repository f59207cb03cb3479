import ExtProc
import Metrics
import Router
import Testing

@Suite struct GenAIMetricsTests {
  private let registry = MetricsRegistry()
  private let clock = ManualClock()

  private func observer() -> MetricsRequestObserver {
    let clock = self.clock
    return RouterMetrics(registry: registry, now: { clock.read() }, currentCache: { nil })
      .makeObserver()
  }

  private func record(model: String) -> RoutingRecord {
    RoutingRecord(
      category: "math", confidence: 0.9, classifierType: "statistical", originalModel: "auto",
      selectedModel: model, reason: "category_model", endpointName: "a", endpointAddress: "b",
      stream: true)
  }

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

  private static let labels =
    #"gen_ai_operation_name="chat",gen_ai_provider_name="vllm",gen_ai_request_model="m1","#
    + #"category="math""#

  @Test func streamedAnswer_recordsDurationTimeToFirstTokenPerTokenTimeAndTokens() {
    let observer = observer()
    observer.requestStarted(method: "POST", path: "/v1/chat/completions", headers: HTTPHeaders())
    observer.classificationStarted()
    observer.classificationFinished(classification("math"))
    _ = observer.routed(record(model: "m1"))
    observer.responseStarted(status: 200)
    clock.advance(.milliseconds(30))
    observer.firstToken()
    clock.advance(.milliseconds(400))
    observer.responseFinished(OpenAIResponseSummary(promptTokens: 12, completionTokens: 5))
    observer.streamEnded(.completed)
    let text = registry.renderPrometheusText()
    let labels = Self.labels
    // 0.43 s lands in the 0.64 bucket, not the 0.32 one.
    #expect(
      text.contains(
        #"gen_ai_server_request_duration_seconds_bucket{\#(labels),error_type="",le="0.32"} 0"#))
    #expect(
      text.contains(
        #"gen_ai_server_request_duration_seconds_bucket{\#(labels),error_type="",le="0.64"} 1"#))
    #expect(text.contains(#"gen_ai_server_time_to_first_token_seconds_sum{\#(labels)} 0.03"#))
    // 0.4 s after the first token, over the 4 tokens that followed it.
    #expect(text.contains(#"gen_ai_server_time_per_output_token_seconds_sum{\#(labels)} 0.1"#))
    #expect(
      text.contains(#"gen_ai_client_token_usage_sum{\#(labels),gen_ai_token_type="input"} 12"#))
    #expect(
      text.contains(#"gen_ai_client_token_usage_sum{\#(labels),gen_ai_token_type="output"} 5"#))
    #expect(
      text.contains(
        #"gen_ai_client_token_usage_bucket{\#(labels),gen_ai_token_type="input",le="16"} 1"#))
  }

  @Test func upstreamError_recordsDurationWithItsStatusAndNoTimeToFirstToken() {
    let observer = observer()
    observer.requestStarted(method: "POST", path: "/v1/completions", headers: HTTPHeaders())
    observer.classificationFinished(classification("math"))
    _ = observer.routed(record(model: "m1"))
    observer.responseStarted(status: 503)
    clock.advance(.milliseconds(5))
    observer.responseFinished(OpenAIResponseSummary())
    observer.streamEnded(.completed)
    let text = registry.renderPrometheusText()
    #expect(
      text.contains(
        #"gen_ai_server_request_duration_seconds_count{gen_ai_operation_name="text_completion","#
          + #"gen_ai_provider_name="vllm",gen_ai_request_model="m1",category="math","#
          + #"error_type="503"} 1"#))
    #expect(!text.contains("gen_ai_server_time_to_first_token_seconds_count"))
    #expect(!text.contains("gen_ai_client_token_usage_count"))
  }

  @Test(arguments: [200, 400])
  func answerFromTheRouterItself_isNoGenAIServerRequest(status: Int) {
    let observer = observer()
    observer.requestStarted(method: "POST", path: "/v1/chat/completions", headers: HTTPHeaders())
    observer.classificationFinished(classification("math"))
    observer.immediateResponse(status: status, reason: "r", record: record(model: "m1"))
    observer.streamEnded(.completed)
    let text = registry.renderPrometheusText()
    #expect(text.contains("semantic_router_requests_total"))
    #expect(!text.contains("gen_ai_server_request_duration_seconds_count"))
  }

  @Test func clientGoneBeforeTheAnswer_isADurationWithItsErrorType() {
    let observer = observer()
    observer.requestStarted(method: "POST", path: "/v1/chat/completions", headers: HTTPHeaders())
    observer.classificationFinished(classification("math"))
    _ = observer.routed(record(model: "m1"))
    observer.responseStarted(status: 200)
    observer.firstToken()
    observer.streamEnded(.completed)
    let text = registry.renderPrometheusText()
    #expect(
      text.contains(
        #"gen_ai_server_request_duration_seconds_count{\#(Self.labels),"#
          + #"error_type="response_incomplete"} 1"#))
    #expect(!text.contains("gen_ai_server_time_to_first_token_seconds_count"))
  }

  @Test func buckets_areTheConventionsAdvisedBoundaries() {
    #expect(GenAIMetrics.tokenUsageBuckets.first == 1)
    #expect(GenAIMetrics.tokenUsageBuckets.last == 67_108_864)
    #expect(GenAIMetrics.tokenUsageBuckets.count == 14)
    #expect(GenAIMetrics.requestDurationBuckets.last == 81.92)
    #expect(GenAIMetrics.timeToFirstTokenBuckets.count == 16)
    #expect(GenAIMetrics.timePerOutputTokenBuckets.last == 2.5)
  }
}
