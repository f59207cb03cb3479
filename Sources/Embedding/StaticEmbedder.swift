/// A static (Model2Vec-style) sentence embedder: a text's WordPiece tokens looked up in a
/// table distilled from the full model (`bench/model2vec-distill.py`: each token through the
/// model alone, PCA, Zipf weights), averaged and scaled to unit length. No encoder runs, so a
/// query costs microseconds; word order and context are lost.
public struct StaticEmbedder: Sendable {
  public let tokenizer: BERTTokenizer
  /// The length of the vectors `embed` returns.
  public let dimension: Int
  /// Vocabulary × dimension, F32, F16 or BF16, read from the mapping as tokens need it.
  private let table: SafetensorsTensor
  /// Keeps the mapping of `table` alive.
  private let file: SafetensorsFile

  /// Reads the model's `tokenizer.json` at `tokenizerPath` and the distilled table (tensor
  /// `embeddings`) at `tablePath`; a table of the wrong type or too few rows for the
  /// vocabulary is an `EmbeddingError` naming it.
  public init(tokenizerPath: String, tablePath: String) throws {
    tokenizer = try BERTTokenizer(path: tokenizerPath)
    file = try SafetensorsFile(path: tablePath)
    table = try file.tensor("embeddings")
    guard table.shape.count == 2, table.shape[1] > 0 else {
      throw EmbeddingError(
        file: tablePath, field: "embeddings", reason: "shape \(table.shape), not [tokens, dims]")
    }
    guard table.shape[0] > Int(tokenizer.largestID) else {
      throw EmbeddingError(
        file: tablePath, field: "embeddings",
        reason: "\(table.shape[0]) rows, but the tokenizer's ids go up to \(tokenizer.largestID)")
    }
    guard [.f32, .f16, .bf16].contains(table.dtype) else {
      throw EmbeddingError(
        file: tablePath, field: "embeddings",
        reason: "dtype \(table.dtype.rawValue); only F32, F16 and BF16 load")
    }
    dimension = table.shape[1]
  }

  /// The unit-length mean of `text`'s token vectors (`[CLS]` and `[SEP]` left out); all zeros
  /// for a text with no tokens.
  public func embed(_ text: String) -> [Float] {
    let ids = tokenizer.encode(text).dropFirst().dropLast()
    var sum = [Float](repeating: 0, count: dimension)
    let row = UnsafeMutablePointer<Float>.allocate(capacity: dimension)
    defer { row.deallocate() }
    for id in ids {
      let start = Int(id) * dimension
      table.floats(start..<start + dimension, into: row)
      for i in 0..<dimension { sum[i] += row[i] }
    }
    let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return norm > 0 ? sum.map { $0 / norm } : sum
  }
}
