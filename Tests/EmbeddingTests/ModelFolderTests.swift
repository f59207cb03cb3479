import Embedding
import Foundation
import Testing

/// Loading a model folder: sizes come from config.json, and anything that is not a BERT
/// sentence-transformers folder is an error naming the file and the field.
@Suite struct ModelFolderTests {
  static func loadError(_ folder: TinyBERTFolder, name: String = #function) throws
    -> EmbeddingError?
  {
    let directory = try folder.write(name: name)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    do {
      _ = try SentenceEmbedder(directory: directory)
      return nil
    } catch let error as EmbeddingError {
      return error
    }
  }

  @Test func aSmallerBERT_loadsWithTheSizesItsConfigSays() throws {
    let directory = try TinyBERTFolder().write()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let embedder = try SentenceEmbedder(directory: directory)
    #expect(embedder.dimension == 8)
    #expect(embedder.configuration.layers == 2)
    #expect(embedder.configuration.maximumSequenceLength == 12)
    #expect(embedder.tokenize("Hello worlds") == [2, 4, 5, 6, 3])
    let long = Array(repeating: "hello", count: 20).joined(separator: " ")
    #expect(embedder.tokenize(long) == [2] + Array(repeating: 4, count: 10) + [3])
    let vector = embedder.embed("hello worlds")
    #expect(vector.count == 8)
    #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
    #expect(vector != embedder.embed("world"))
  }

  @Test(arguments: [
    ("model_type", "gpt2", "model_type"),
    ("hidden_act", "relu", "hidden_act"),
    ("num_attention_heads", "3", "num_attention_heads"),
    ("hidden_size", "-8", "hidden_size"),
    ("intermediate_size", "32", "encoder.layer.0.intermediate.dense.weight"),
    ("vocab_size", "8", "embeddings.word_embeddings.weight"),
    ("position_embedding_type", "relative_key", "position_embedding_type"),
  ])
  func aConfigTheWeightsDoNotFit_isAnErrorNamingTheField(
    key: String, value: String, field: String
  ) throws {
    var folder = TinyBERTFolder()
    folder.config[key] = Int(value) ?? value
    let error = try Self.loadError(folder, name: "\(key)")
    #expect(error?.field == field, "\(String(describing: error))")
  }

  @Test func aMissingConfigField_isAnErrorNamingIt() throws {
    var folder = TinyBERTFolder()
    folder.config["num_hidden_layers"] = nil
    let error = try Self.loadError(folder)
    #expect(error?.field == "num_hidden_layers")
    #expect(error?.file.hasSuffix("/config.json") == true)
  }

  @Test func aMissingTensor_isAnErrorNamingIt() throws {
    var folder = TinyBERTFolder()
    folder.tensors["encoder.layer.1.output.dense.weight"] = nil
    let error = try Self.loadError(folder)
    #expect(error?.field == "encoder.layer.1.output.dense.weight")
    #expect(error?.file.hasSuffix("/model.safetensors") == true)
  }

  @Test func anIntegerWeight_isAnErrorNamingIt() throws {
    var folder = TinyBERTFolder()
    folder.tensors["embeddings.LayerNorm.bias"] = ("I64", [8])
    #expect(try Self.loadError(folder)?.field == "embeddings.LayerNorm.bias")
  }

  @Test func aTokenizerOtherThanWordPiece_isAnErrorNamingIt() throws {
    var folder = TinyBERTFolder()
    folder.tokenizerModelType = "BPE"
    let error = try Self.loadError(folder)
    #expect(error?.field == "model.type")
    #expect(error?.file.hasSuffix("/tokenizer.json") == true)
  }

  @Test func maxPooling_isAnErrorNamingTheField() throws {
    var folder = TinyBERTFolder()
    folder.pooling["pooling_mode_mean_tokens"] = false
    folder.pooling["pooling_mode_max_tokens"] = true
    #expect(try Self.loadError(folder)?.field == "pooling_mode_*")
  }

  @Test func aMaxSeqLengthPastThePositions_isAnErrorNamingIt() throws {
    var folder = TinyBERTFolder()
    folder.sentenceConfig["max_seq_length"] = 17
    let error = try Self.loadError(folder)
    #expect(error?.field == "max_seq_length")
    #expect(error?.file.hasSuffix("/sentence_bert_config.json") == true)
  }

  @Test func aMissingFolder_isAnErrorNamingConfigJSON() {
    #expect(throws: EmbeddingError.self) {
      try SentenceEmbedder(directory: "/nonexistent/model")
    }
  }
}
