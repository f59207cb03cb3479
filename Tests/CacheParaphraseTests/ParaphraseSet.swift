import Foundation

/// A paraphrase file of `deploy/cache` (`paraphrases.tsv`, `paraphrases-dev.tsv`): pairs of
/// queries that ask the same thing in other words, or a different thing in mostly the same
/// words.
struct ParaphraseSet {
  struct Pair {
    var sameMeaning: Bool
    var category: String
    var first: String
    var second: String
  }

  static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  let path: String
  let pairs: [Pair]

  /// Reads `relativePath` (from the repository root); a malformed line is an error naming it.
  init(_ relativePath: String) throws {
    path = relativePath
    let text = try String(
      contentsOf: Self.repositoryRoot.appendingPathComponent(relativePath), encoding: .utf8)
    var pairs: [Pair] = []
    for (number, line) in text.split(separator: "\n").enumerated() where !line.hasPrefix("#") {
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      guard fields.count == 4, fields[0] == "same" || fields[0] == "different" else {
        throw Malformed(description: "\(relativePath): line \(number + 1): \(line)")
      }
      pairs.append(
        Pair(
          sameMeaning: fields[0] == "same", category: fields[1], first: fields[2], second: fields[3]
        ))
    }
    self.pairs = pairs
  }

  struct Malformed: Error, CustomStringConvertible {
    var description: String
  }
}
