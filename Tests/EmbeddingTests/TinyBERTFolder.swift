import Foundation

/// A small random BERT sentence-transformers folder written for a test (hidden 8, 2 heads,
/// 2 layers, intermediate 16, a 7-token vocabulary), with hooks to break one part of it.
struct TinyBERTFolder {
  var config: [String: Any] = [
    "model_type": "bert", "architectures": ["BertModel"], "hidden_act": "gelu",
    "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 2, "intermediate_size": 16,
    "vocab_size": 7, "max_position_embeddings": 16, "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
  ]
  var sentenceConfig: [String: Any] = ["max_seq_length": 12, "do_lower_case": false]
  var pooling: [String: Any] = [
    "word_embedding_dimension": 8, "pooling_mode_mean_tokens": true,
    "pooling_mode_cls_token": false,
  ]
  var tokenizerModelType = "WordPiece"
  /// Tensor name → (dtype, shape); the values are random.
  var tensors: [String: (dtype: String, shape: [Int])] = {
    var tensors: [String: (String, [Int])] = [
      "embeddings.word_embeddings.weight": ("F32", [7, 8]),
      "embeddings.position_embeddings.weight": ("F32", [16, 8]),
      "embeddings.token_type_embeddings.weight": ("F32", [2, 8]),
      "embeddings.LayerNorm.weight": ("F32", [8]),
      "embeddings.LayerNorm.bias": ("F32", [8]),
    ]
    for layer in 0..<2 {
      let name = "encoder.layer.\(layer)"
      for (part, shape) in [
        ("attention.self.query", [8, 8]), ("attention.self.key", [8, 8]),
        ("attention.self.value", [8, 8]), ("attention.output.dense", [8, 8]),
        ("intermediate.dense", [16, 8]), ("output.dense", [8, 16]),
      ] {
        tensors["\(name).\(part).weight"] = ("F16", shape)
        tensors["\(name).\(part).bias"] = ("F32", [shape[0]])
      }
      for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
        tensors["\(name).\(norm).weight"] = ("F32", [8])
        tensors["\(name).\(norm).bias"] = ("F32", [8])
      }
    }
    return tensors
  }()

  /// Writes the folder and returns its path.
  func write(name: String = #function) throws -> String {
    let directory = NSTemporaryDirectory() + "tiny-bert-\(getpid())-\(abs(name.hashValue))"
    try FileManager.default.createDirectory(
      atPath: directory + "/1_Pooling", withIntermediateDirectories: true)
    func json(_ object: Any, _ file: String) throws {
      try JSONSerialization.data(withJSONObject: object).write(
        to: URL(fileURLWithPath: "\(directory)/\(file)"))
    }
    try json(config, "config.json")
    try json(sentenceConfig, "sentence_bert_config.json")
    try json(pooling, "1_Pooling/config.json")
    let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world", "##s"]
    try json(
      [
        "model": [
          "type": tokenizerModelType, "unk_token": "[UNK]", "continuing_subword_prefix": "##",
          "max_input_chars_per_word": 100,
          "vocab": Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) }),
        ],
        "normalizer": ["type": "BertNormalizer", "lowercase": true],
        "pre_tokenizer": ["type": "BertPreTokenizer"],
        "added_tokens": [["id": 2, "content": "[CLS]"], ["id": 3, "content": "[SEP]"]],
      ], "tokenizer.json")

    var generator = SystemRandomNumberGenerator()
    var header: [String: Any] = [:]
    var data: [UInt8] = []
    for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
      let count = tensor.shape.reduce(1, *)
      let start = data.count
      for _ in 0..<count {
        let value = Float.random(in: -0.5...0.5, using: &generator)
        switch tensor.dtype {
        case "F16":
          data += withUnsafeBytes(of: Float16(value).bitPattern.littleEndian) { Array($0) }
        case "I64":
          data += withUnsafeBytes(of: Int64(value * 10).littleEndian) { Array($0) }
        default:
          data += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
        }
      }
      header[name] = [
        "dtype": tensor.dtype, "shape": tensor.shape, "data_offsets": [start, data.count],
      ]
    }
    let headerBytes = try JSONSerialization.data(withJSONObject: header)
    var file = withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { Array($0) }
    file += Array(headerBytes) + data
    try Data(file).write(to: URL(fileURLWithPath: "\(directory)/model.safetensors"))
    return directory
  }
}
