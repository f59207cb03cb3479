import Embedding
import Foundation

/// The categories' example sentences as unit vectors, row after row, with each row's category
/// index: what the embedding classifier compares a query with.
struct ExampleVectors: Sendable, Equatable {
  let dimension: Int
  /// `labels.count` rows of `dimension` components.
  let vectors: [Float]
  let labels: [Int32]

  var count: Int { labels.count }

  /// Embeds every example of `categories` (the index of a category is its label).
  init(embedding categories: [CategoryConfiguration], with embedder: SentenceEmbedder) {
    var vectors: [Float] = []
    var labels: [Int32] = []
    for (label, category) in categories.enumerated() {
      for example in category.examples {
        vectors += embedder.embed(example)
        labels.append(Int32(label))
      }
    }
    self.init(dimension: embedder.dimension, vectors: vectors, labels: labels)
  }

  init(dimension: Int, vectors: [Float], labels: [Int32]) {
    precondition(vectors.count == dimension * labels.count, "one row per label")
    self.dimension = dimension
    self.vectors = vectors
    self.labels = labels
  }

  /// A digest of what the vectors are made from: each category's name and examples, in order.
  static func digest(of categories: [CategoryConfiguration]) -> UInt64 {
    var digest = ContentDigest()
    for category in categories {
      digest.add(Array(category.name.utf8))
      for example in category.examples { digest.add(Array(example.utf8)) }
      digest.add([])
    }
    return digest.value
  }
}
