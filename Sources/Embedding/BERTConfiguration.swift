/// The sizes and options of a BERT sentence-transformers model, read from its folder's
/// `config.json`, `sentence_bert_config.json` and `1_Pooling/config.json`.
public struct BERTConfiguration: Sendable, Equatable {
  /// How token vectors become one sentence vector (`1_Pooling/config.json`).
  public enum Pooling: String, Sendable {
    case mean, cls
  }

  public var hiddenSize: Int
  public var attentionHeads: Int
  public var layers: Int
  public var intermediateSize: Int
  public var vocabularySize: Int
  public var maximumPositions: Int
  public var tokenTypes: Int
  public var layerNormEpsilon: Float
  /// Tokens per input, `[CLS]` and `[SEP]` included (`max_seq_length`).
  public var maximumSequenceLength: Int
  public var pooling: Pooling

  /// Reads the three files of the model folder at `directory`.
  public init(directory: String) throws {
    let config = try JSONFile(path: "\(directory)/config.json")
    let modelType = try config.string("model_type")
    guard modelType == "bert" else {
      throw config.error("model_type", "\(modelType ?? "missing"): only BERT models load")
    }
    let activation = try config.string("hidden_act") ?? "gelu"
    guard activation == "gelu" else {
      throw config.error("hidden_act", "\(activation): only the exact (erf) gelu is implemented")
    }
    let positions = try config.string("position_embedding_type") ?? "absolute"
    guard positions == "absolute" else {
      throw config.error("position_embedding_type", "\(positions): only absolute is implemented")
    }
    hiddenSize = try config.positiveInteger("hidden_size")
    attentionHeads = try config.positiveInteger("num_attention_heads")
    guard hiddenSize % attentionHeads == 0 else {
      throw config.error(
        "num_attention_heads", "\(attentionHeads) does not divide hidden_size \(hiddenSize)")
    }
    layers = try config.positiveInteger("num_hidden_layers")
    intermediateSize = try config.positiveInteger("intermediate_size")
    vocabularySize = try config.positiveInteger("vocab_size")
    maximumPositions = try config.positiveInteger("max_position_embeddings")
    tokenTypes = try config.positiveInteger("type_vocab_size", default: 2)
    layerNormEpsilon = Float(try config.number("layer_norm_eps", default: 1e-12))

    let sentence = try JSONFile(path: "\(directory)/sentence_bert_config.json")
    maximumSequenceLength = try sentence.positiveInteger(
      "max_seq_length", default: maximumPositions)
    guard maximumSequenceLength <= maximumPositions, maximumSequenceLength >= 2 else {
      throw sentence.error(
        "max_seq_length",
        "\(maximumSequenceLength) is outside 2...max_position_embeddings (\(maximumPositions))")
    }

    let poolingFile = try JSONFile(path: "\(directory)/1_Pooling/config.json")
    let mean = try poolingFile.bool("pooling_mode_mean_tokens", default: false)
    let cls = try poolingFile.bool("pooling_mode_cls_token", default: false)
    let others = try ["pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens"].filter {
      try poolingFile.bool($0, default: false)
    }
    guard mean != cls, others.isEmpty else {
      throw poolingFile.error(
        "pooling_mode_*", "exactly one of mean tokens or cls token must be true")
    }
    pooling = mean ? .mean : .cls
  }
}
