import Embedding
import Foundation

/// How well sentence vectors alone classify `deploy/classifier/testset.tsv` from the
/// categories' hand-written examples (`deploy/classifier/<category>.txt`), by three rules part 2
/// of issue 14 chooses between: the nearest category centroid, the nearest example, and a vote
/// of the five nearest examples. Prints one line per rule and the misclassified questions of
/// the first.
enum CategoryAccuracy {
  static func run(embedder: SentenceEmbedder, examplesDirectory: String, testSet: String) throws {
    let test = try lines(testSet).map { line -> (category: String, text: String) in
      let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
      return (parts[0], parts[1])
    }
    let categories = Array(Set(test.map(\.category))).sorted()
    var examples: [(category: Int, vector: [Float])] = []
    var centroids: [[Float]] = []
    for (index, category) in categories.enumerated() {
      let vectors = try lines("\(examplesDirectory)/\(category).txt").map(embedder.embed)
      examples += vectors.map { (index, $0) }
      var centroid = [Float](repeating: 0, count: embedder.dimension)
      for vector in vectors { for i in centroid.indices { centroid[i] += vector[i] } }
      let norm = centroid.reduce(0) { $0 + $1 * $1 }.squareRoot()
      centroids.append(centroid.map { $0 / norm })
    }
    var right = (centroid: 0, nearest: 0, vote: 0)
    var wrong: [String] = []
    for (category, text) in test {
      let vector = embedder.embed(text)
      let expected = categories.firstIndex(of: category)!
      let byCentroid = centroids.indices.max {
        dot(centroids[$0], vector) < dot(centroids[$1], vector)
      }!
      let ranked = examples.map { ($0.category, dot($0.vector, vector)) }.sorted { $0.1 > $1.1 }
      var votes = [Int](repeating: 0, count: categories.count)
      for (label, _) in ranked.prefix(5) { votes[label] += 1 }
      let byVote = votes.indices.max { (votes[$0], -$0) < (votes[$1], -$1) }!
      if byCentroid == expected { right.centroid += 1 } else {
        wrong.append("  \(category) → \(categories[byCentroid]): \(text)")
      }
      if ranked[0].0 == expected { right.nearest += 1 }
      if byVote == expected { right.vote += 1 }
    }
    func percent(_ count: Int) -> String {
      String(format: "%.1f%% (%d/%d)", 100 * Double(count) / Double(test.count), count, test.count)
    }
    print("examples: \(examples.count) in \(categories.count) categories, questions: \(test.count)")
    print("nearest centroid: \(percent(right.centroid))")
    print("nearest example: \(percent(right.nearest))")
    print("5 nearest examples, vote: \(percent(right.vote))")
    print("misclassified by the nearest centroid:")
    wrong.forEach { print($0) }
  }

  /// The file's lines without blanks and `#` comments.
  private static func lines(_ path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
      $0.trimmingCharacters(in: .whitespaces)
    }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
  }

  private static func dot(_ a: [Float], _ b: [Float]) -> Float {
    var sum: Float = 0
    for i in a.indices { sum += a[i] * b[i] }
    return sum
  }
}
