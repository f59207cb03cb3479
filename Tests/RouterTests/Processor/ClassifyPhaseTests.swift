import ExtProc
import Foundation
import Testing

@testable import Router

/// The classify phase's answer-later path with a stand-in for the embedding model: what runs
/// on the inference thread, and what the stream's loop is left with.
@Suite struct ClassifyPhaseTests {
  /// A model that answers "math" and records the thread each of its calls ran on.
  private final class RecordingModel: CascadeModel, @unchecked Sendable {
    // @unchecked Sendable: `calls` is only touched under `lock`.
    private let lock = NSLock()
    private var calls: [(name: String, thread: pthread_t)] = []
    let modelName = "recording"
    let modelIdentity = "recording"

    func cached(for text: String) -> CachedEmbedding? { nil }

    func rememberVote(_ vote: ExampleVote, for text: String) {}

    func embed(_ text: String) -> [Float] {
      record("embed")
      return [0.6, 0.8, 0, 0]
    }

    func nearest(_ vector: [Float]) -> ExampleVote? {
      record("vote")
      return ("math", 0.9)
    }

    /// The threads `name` ran on, in order.
    func threads(of name: String) -> [pthread_t] {
      lock.withLock { calls.filter { $0.name == name }.map(\.thread) }
    }

    private func record(_ name: String) {
      let thread = pthread_self()
      lock.withLock { calls.append((name, thread)) }
    }
  }

  /// A model with a real vector cache that counts the examples' votes it takes.
  private final class VoteCountingModel: CascadeModel, @unchecked Sendable {
    // @unchecked Sendable: `votes` is only touched under `lock`.
    private let lock = NSLock()
    private var votes = 0
    private let cache = QueryEmbeddingCache(capacity: 4)
    let modelName = "counting"
    let modelIdentity = "counting"

    var voteCount: Int { lock.withLock { votes } }

    func cached(for text: String) -> CachedEmbedding? { cache.embedding(for: text) }

    func rememberVote(_ vote: ExampleVote, for text: String) { cache.storeVote(vote, for: text) }

    func embed(_ text: String) -> [Float] {
      let vector: [Float] = [0.6, 0.8, 0, 0]
      cache.store(vector, for: text)
      return vector
    }

    func nearest(_ vector: [Float]) -> ExampleVote? {
      lock.withLock { votes += 1 }
      return ("math", 0.9)
    }
  }

  /// A query the lexical tier left to `model` ("general" at 0.4), with the cache on.
  private static func pending(_ model: any CascadeModel) -> PendingModelClassification {
    PendingModelClassification(
      lexical: Classification(
        category: "general", confidence: 0.4, method: .fallback, vector: .empty),
      text: "What is 12 times 7?", lexicalDecides: false, wantsVector: true, model: model,
      fallbackCategory: "general", confidenceThreshold: 0.6)
  }

  /// A vector-cache hit is answered on the stream's loop: it takes the vote kept with the
  /// vector instead of scanning the examples again there.
  @Test func aRepeatedQuery_takesTheVoteKeptWithItsVector() throws {
    let model = VoteCountingModel()
    let pending = Self.pending(model)
    let first = pending.classify()
    #expect(model.voteCount == 1)
    guard case .decided(let repeated) = pending.lookingUpVectorCache() else {
      Issue.record("expected a vector-cache hit")
      return
    }
    #expect(model.voteCount == 1, "the repeated query voted again")
    #expect(repeated.category == first.category && repeated.confidence == first.confidence)
    #expect(repeated.method == .embedding && repeated.vector == first.vector)
    #expect(repeated.modelRun?.outcome == .vectorCacheHit)
  }

  @Test func modelAndVote_runOnTheInferenceThread_andTheLoopGetsTheFinishedClassification()
    throws
  {
    let model = RecordingModel()
    let pending = Self.pending(model)
    let pool = InferencePool(threads: 1, queueCapacity: 4)
    defer { pool.shutdown() }
    // This test's thread is the stream's loop: it runs the tasks handed back to it.
    let loopThread = pthread_self()
    let loop = TestLoop()
    let runner = InferenceRunner(pool: pool) { { task in loop.resume(task) } }
    var applied: [Classification] = []
    let decision = ClassifyPhase.settle(
      .needsModel(pending), onOverload: .lexical, inference: runner, observer: nil,
      overloaded: { ImmediateResponse(status: 503) }, ended: { false }
    ) { classification in
      applied.append(classification)
      return .passThrough
    }
    guard case .later = decision else {
      Issue.record("expected .later while the model runs, got \(decision)")
      return
    }
    loop.runArrived()
    let inferenceThreads = model.threads(of: "embed")
    #expect(inferenceThreads.count == 1 && inferenceThreads.allSatisfy { $0 != loopThread })
    #expect(model.threads(of: "vote") == inferenceThreads)
    let classification = try #require(applied.first)
    #expect(applied.count == 1)
    #expect(classification.category == "math" && classification.method == .embedding)
    #expect(classification.vector == QueryVector(embedding: [0.6, 0.8, 0, 0], model: "recording"))
    #expect(classification.modelRun?.outcome == .inferred)
  }
}
