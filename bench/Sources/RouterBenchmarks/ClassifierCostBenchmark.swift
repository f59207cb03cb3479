import Foundation
import Router

/// `classifier`: queries per second per core of the three ways to classify, on one thread over
/// the questions of the given test sets: `lexical` (keyword rules and the logistic
/// regression), `cascade` (the lexical tier when its confidence reaches
/// `classifier.cascade_confidence`, else the embedding model) and `model` (every query without
/// a keyword match embedded). The semantic cache and the vector cache are off, so every query
/// that reaches the model runs it; a fourth setup, `model, vector-cache hits`, has the vector
/// cache on and filled by an untimed pass first, so each query costs the lexical tier and the
/// nearest examples' vote on a stored vector (what a repeated query costs on its event loop).
/// Each result line: CPU per query (thread CPU time over the
/// run, median of the rounds), queries per second per core (1 / CPU), the share that reached
/// the model, and p50/p99 of each query's wall time in the last round.
struct ClassifierCostBenchmark {
  let configPath: String
  let modelPath: String
  let testSets: [String]
  let rounds: Int

  init(arguments: BenchmarkArguments) throws {
    configPath = try arguments.string("config")
    modelPath = try arguments.string("model")
    testSets = arguments.values("queries")
    rounds = try arguments.int("rounds", default: 3)
    guard !testSets.isEmpty else { throw BenchmarkArguments.Failure("--queries FILE... needed") }
  }

  func run() throws {
    var questions: [String] = []
    for path in testSets {
      let text = try String(contentsOfFile: path, encoding: .utf8)
      for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        if let tab = line.firstIndex(of: "\t") { questions.append(String(line[tab...].dropFirst())) }
      }
    }
    var base = try RouterConfiguration.load(path: configPath)
    base.semanticCache.enabled = false
    base.guards = nil
    base.classifier.modelPath = modelPath
    base.classifier.vectorCacheEntries = 0
    let setups: [(name: String, kind: ClassifierSettings.Kind, cascade: Double, vectorCache: Int)] =
      [
        ("lexical", .lexical, 0, 0), ("cascade", .embedding, base.classifier.cascadeConfidence, 0),
        ("model", .embedding, 1, 0), ("model, vector-cache hits", .embedding, 1, 1 << 14),
      ]
    var loaded: SemanticRouter?
    for setup in setups {
      var configuration = base
      configuration.classifier.kind = setup.kind
      configuration.classifier.cascadeConfidence = setup.cascade
      configuration.classifier.vectorCacheEntries = setup.vectorCache
      let router = SemanticRouter(configuration: configuration, reusingCacheOf: loaded)
      if setup.kind == .embedding {
        guard router.embeddingClassifier != nil else {
          throw BenchmarkArguments.Failure(router.embeddingLoadError ?? "model did not load")
        }
        loaded = router
      }
      let requests = questions.map { text in
        OpenAIRequest(
          endpoint: .chatCompletions, model: "auto", modelValueRange: 0..<0,
          messages: [OpenAIRequest.Message(role: "user", content: text)])
      }
      if setup.vectorCache > 0 {
        for request in requests { _ = router.classify(request) }
      }
      var cpuPerQuery: [Double] = []
      var latencies: [Double] = []
      var reachedModel = 0
      for round in 0..<rounds {
        reachedModel = 0
        latencies.removeAll(keepingCapacity: true)
        let start = CPUTime.onThisThread()
        for request in requests {
          let begin = ContinuousClock.now
          let result = router.classify(request)
          let elapsed = ContinuousClock.now - begin
          if round == rounds - 1 { latencies.append(elapsed.microseconds) }
          if result.modelRun?.outcome == .inferred { reachedModel += 1 }
        }
        cpuPerQuery.append(CPUTime.onThisThread().since(start) / Double(requests.count))
      }
      cpuPerQuery.sort()
      let cpu = cpuPerQuery[cpuPerQuery.count / 2]
      try ResultLine.write([
        "benchmark": "classifier", "setup": setup.name, "queries": requests.count,
        "cpu_us_per_query": cpu, "queries_per_second_per_core": 1e6 / cpu,
        "model_share": Double(reachedModel) / Double(requests.count),
        "p50_us": percentile(latencies, 0.50), "p99_us": percentile(latencies, 0.99),
        "cascade_confidence": setup.cascade,
      ])
    }
  }
}
