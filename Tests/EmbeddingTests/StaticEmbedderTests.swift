import Embedding
import Foundation
import Testing

/// The static (Model2Vec-style) embedder on the tiny folder's 7-token vocabulary and a table
/// of known rows.
struct StaticEmbedderTests {
  /// Writes a safetensors file with one tensor `embeddings` of `rows` × 2 values.
  static func table(_ rows: [[Float]], dtype: String = "F32", name: String = #function) throws
    -> String
  {
    var data: [UInt8] = []
    for value in rows.joined() {
      if dtype == "I32" {
        data += withUnsafeBytes(of: Int32(value).littleEndian) { Array($0) }
      } else {
        data += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
      }
    }
    let header = try JSONSerialization.data(withJSONObject: [
      "embeddings": ["dtype": dtype, "shape": [rows.count, 2], "data_offsets": [0, data.count]]
    ])
    let path = NSTemporaryDirectory() + "static-table-\(getpid())-\(abs(name.hashValue))"
    var file = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
    file += Array(header) + data
    try Data(file).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// [PAD] [UNK] [CLS] [SEP] hello world ##s; [CLS] and [SEP] far off, so counting them shows.
  static let rows: [[Float]] = [[0, 0], [0, 3], [100, -100], [-100, 100], [1, 0], [0, 1], [1, 1]]

  @Test func aText_isTheUnitMeanOfItsTokenRows_withoutCLSAndSEP() throws {
    let folder = try TinyBERTFolder().write()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let table = try Self.table(Self.rows)
    defer { try? FileManager.default.removeItem(atPath: table) }
    let embedder = try StaticEmbedder(
      tokenizerPath: "\(folder)/tokenizer.json", tablePath: table)
    #expect(embedder.dimension == 2)
    let both = embedder.embed("Hello world")
    #expect(abs(both[0] - Float(0.5).squareRoot()) < 1e-6 && abs(both[1] - Float(0.5).squareRoot()) < 1e-6)
    let worlds = embedder.embed("worlds")  // world ##s: (1, 2) / √5
    #expect(abs(worlds[0] - 1 / Float(5).squareRoot()) < 1e-6)
    #expect(abs(worlds[1] - 2 / Float(5).squareRoot()) < 1e-6)
    #expect(embedder.embed("zzz") == [0, 1])  // [UNK]'s row
    #expect(embedder.embed("") == [0, 0])
  }

  @Test func aTableShorterThanTheVocabulary_isAnErrorNamingIt() throws {
    let folder = try TinyBERTFolder().write()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = try Self.table(Array(Self.rows.prefix(6)))
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(
      throws: EmbeddingError(
        file: path, field: "embeddings",
        reason: "6 rows, but the tokenizer's ids go up to 6")
    ) {
      try StaticEmbedder(tokenizerPath: "\(folder)/tokenizer.json", tablePath: path)
    }
  }

  @Test func anIntegerTable_isAnErrorNamingIt() throws {
    let folder = try TinyBERTFolder().write()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = try Self.table(Self.rows, dtype: "I32")
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(
      throws: EmbeddingError(
        file: path, field: "embeddings", reason: "dtype I32; only F32, F16 and BF16 load")
    ) {
      try StaticEmbedder(tokenizerPath: "\(folder)/tokenizer.json", tablePath: path)
    }
  }
}
