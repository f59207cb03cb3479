import ExtProc
import Logging
import Router
import Testing

/// A shared cache held in memory whose lookups answer only when the test says, as a network
/// store answers later.
private final class DeferredStore: SharedCacheStore {
  let entries = SemanticCache(settings: SemanticCacheSettings(enabled: true))
  var waiting: [() -> Void] = []
  var stores = 0

  func lookup(
    key: String, vector: QueryVector, settings: SemanticCacheSettings,
    completion: @escaping (CachedResponse?) -> Void
  ) {
    waiting.append { [entries] in completion(entries.lookup(key: key, vector: vector)) }
  }

  func store(
    key: String, vector: QueryVector, response: CachedResponse, settings: SemanticCacheSettings
  ) {
    stores += 1
    entries.store(key: key, vector: vector, response: response)
  }

  func answerAll() {
    let answers = waiting
    waiting = []
    for answer in answers { answer() }
  }
}

@Suite struct SharedCacheProcessorTests {
  private static let configuration: RouterConfiguration = {
    var configuration = RouterFixtures.twoModels
    configuration.semanticCache.enabled = true
    configuration.semanticCache.backend = .redis
    configuration.semanticCache.redis = RedisCacheSettings(host: "redis.test")
    return configuration
  }()

  private let logger = Logger(label: "test")

  private func exchange(
    _ router: SemanticRouter, _ store: DeferredStore, question: String
  ) throws -> (first: BodyDecision?, resolved: BodyDecision?) {
    // Test-only: the processor runs on this thread, as on a loop.
    nonisolated(unsafe) let store = store
    let processor = SemanticRouterProcessor(
      router: router, logger: logger, sharedCache: { store })
    _ = processor.processRequestHeaders(
      HTTPHeadersMessage(
        headers: [":method": "POST", ":path": "/v1/chat/completions"], endOfStream: false))
    let body = #"{"model":"auto","messages":[{"role":"user","content":"\#(question)"}]}"#
    let first = processor.processRequestBody(
      HTTPBody(bytes: Array(body.utf8), endOfStream: true), mode: .buffered)
    guard case .later(let later) = first else { return (first, nil) }
    var resolved: BodyDecision?
    later.whenResolved { resolved = $0 }
    #expect(resolved == nil, "answered before the store replied")
    store.answerAll()
    if case .respond = resolved {
      _ = processor.processResponseHeaders(
        HTTPHeadersMessage(headers: [":status": "200", "content-type": "application/json"]))
      _ = processor.processResponseBody(
        HTTPBody(bytes: SemanticRouterProcessorTests.completion, endOfStream: true),
        mode: .buffered)
    }
    return (first, resolved)
  }

  @Test func lookupAnswersLater_aMissIsRouted_andItsAnswerStored_thenASimilarQuestionHits() throws {
    let router = SemanticRouter(configuration: Self.configuration)
    #expect(router.cache == nil)
    let store = DeferredStore()

    let miss = try exchange(router, store, question: "solve the equation 2x = 4")
    guard case .respond(let routed) = miss.resolved else {
      Issue.record("a miss must be routed: \(String(describing: miss.resolved))")
      return
    }
    #expect(routed.headerMutation.setHeaders.contains { $0.name == "x-selected-model" })
    #expect(store.stores == 1)

    let hit = try exchange(router, store, question: "Solve the equation 2x = 4!")
    guard case .immediate(let answer) = hit.resolved else {
      Issue.record("a similar question must hit: \(String(describing: hit.resolved))")
      return
    }
    #expect(answer.status == 200)
    #expect(answer.body == SemanticRouterProcessorTests.completion)
    #expect(answer.headers.setHeaders.contains { $0.name == "x-vsr-cache-hit" })
  }

  @Test func memoryBackend_neverAsksTheSharedStore() throws {
    var configuration = Self.configuration
    configuration.semanticCache.backend = .memory
    let store = DeferredStore()
    let result = try exchange(
      SemanticRouter(configuration: configuration), store, question: "solve 2x = 4")
    guard case .respond = result.first else {
      Issue.record("memory backend answers at once")
      return
    }
    #expect(store.waiting.isEmpty)
  }
}
