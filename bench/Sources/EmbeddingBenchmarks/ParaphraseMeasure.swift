import Embedding
import Foundation
import Router

/// Issue 14's test for the static (Model2Vec) tier: on paraphrase pairs (label, category, first,
/// second; `same` pairs should hit the semantic cache, `different` ones should not), the
/// router's lexical vectors, the static table and the full model side by side. For each: thread
/// CPU per query, the threshold chosen on the dev pairs (the lowest with no false hit there,
/// the cache's own rule) and the test pairs' hits and false hits at it, the most test hits at
/// any threshold with at most one false hit, and the AUC (how often a same pair's cosine beats
/// a different pair's). The set's different pairs share most of their words on purpose; a
/// second line sets the same pairs against unrelated ones (each same pair's first query with
/// the next same pair's second), the traffic a cache mostly sees.
enum ParaphraseMeasure {
  struct Pair {
    var same: Bool
    var first: String
    var second: String
  }

  struct Kind {
    var name: String
    var vector: (String) -> [Float]
    var cosine: ([Float], [Float]) -> Double
  }

  static func run(
    modelDirectory: String, tablePath: String, configurationPath: String, testPath: String,
    devPath: String
  ) throws {
    let test = try pairs(testPath)
    let dev = try pairs(devPath)
    let configuration = try RouterConfiguration.load(path: configurationPath)
    let classifier = Classifier(configuration: configuration)
    let table = try StaticEmbedder(
      tokenizerPath: "\(modelDirectory)/tokenizer.json", tablePath: tablePath)
    let f32 = try SentenceEmbedder(directory: modelDirectory)
    let int8 = try SentenceEmbedder(directory: modelDirectory, precision: .int8)
    let dot = { (a: [Float], b: [Float]) in zip(a, b).reduce(0.0) { $0 + Double($1.0 * $1.1) } }
    let kinds = [
      Kind(
        name: "lexical (router's QueryVector)",
        vector: { classifier.classify($0).vector.components },
        cosine: { QueryVector(components: $0).cosine(QueryVector(components: $1)) }),
      Kind(name: "static table (\(table.dimension) dims)", vector: table.embed, cosine: dot),
      Kind(name: "full model, f32", vector: f32.embed, cosine: dot),
      Kind(name: "full model, int8", vector: int8.embed, cosine: dot),
    ]
    print("test pairs: \(testPath) (\(test.filter(\.same).count) same, "
      + "\(test.filter { !$0.same }.count) different); dev pairs: \(devPath)")
    for kind in kinds {
      let texts = Array(Set((test + dev).flatMap { [$0.first, $0.second] }))
      for text in texts.prefix(20) { _ = kind.vector(text) }  // warm-up
      var vectors: [String: [Float]] = [:]
      let start = threadCPUNanoseconds()
      for text in texts { vectors[text] = kind.vector(text) }
      let microseconds = Double(threadCPUNanoseconds() - start) / 1e3 / Double(texts.count)
      func cosines(_ pairs: [Pair]) -> [(same: Bool, cosine: Double)] {
        pairs.map { ($0.same, kind.cosine(vectors[$0.first]!, vectors[$0.second]!)) }
      }
      let testCosines = cosines(test)
      let threshold = lowestWithoutFalseHits(cosines(dev))
      let atThreshold = testCosines.filter { $0.cosine >= threshold }
      print(
        String(
          format:
            "%@: %.1f µs/query; dev threshold %.3f: test hits %d/%d, false hits %d/%d; "
            + "best test hits with ≤ 1 false hit %d; AUC %.3f",
          kind.name, microseconds, threshold, atThreshold.filter(\.same).count,
          test.filter(\.same).count, atThreshold.filter { !$0.same }.count,
          test.filter { !$0.same }.count, bestHits(testCosines, maxFalseHits: 1),
          auc(testCosines)))
      let same = test.filter(\.same)
      let unrelated = same.indices.map {
        Pair(same: false, first: same[$0].first, second: same[($0 + 1) % same.count].second)
      }
      let unrelatedCosines = cosines(same + unrelated)
      print(
        String(
          format: "  against %d unrelated pairs: best hits with ≤ 1 false hit %d/%d; AUC %.3f",
          unrelated.count, bestHits(unrelatedCosines, maxFalseHits: 1), same.count,
          auc(unrelatedCosines)))
    }
  }

  /// The lowest threshold at which no different pair is at or above it.
  static func lowestWithoutFalseHits(_ cosines: [(same: Bool, cosine: Double)]) -> Double {
    (cosines.filter { !$0.same }.map(\.cosine).max() ?? 0).nextUp
  }

  static func bestHits(_ cosines: [(same: Bool, cosine: Double)], maxFalseHits: Int) -> Int {
    let different = cosines.filter { !$0.same }.map(\.cosine).sorted(by: >)
    // Above the (maxFalseHits+1)-th highest different cosine, at most maxFalseHits are.
    let bar = different.count > maxFalseHits ? different[maxFalseHits] : -.infinity
    return cosines.filter { $0.same && $0.cosine > bar }.count
  }

  static func auc(_ cosines: [(same: Bool, cosine: Double)]) -> Double {
    let same = cosines.filter(\.same).map(\.cosine)
    let different = cosines.filter { !$0.same }.map(\.cosine)
    var wins = 0.0
    for s in same {
      for d in different { wins += s > d ? 1 : s == d ? 0.5 : 0 }
    }
    return wins / Double(same.count * different.count)
  }

  static func pairs(_ path: String) throws -> [Pair] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
      .filter { !$0.hasPrefix("#") }.map { line in
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 4, fields[0] == "same" || fields[0] == "different" else {
          throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
        }
        return Pair(same: fields[0] == "same", first: fields[2], second: fields[3])
      }
  }

  static func threadCPUNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
  }
}
