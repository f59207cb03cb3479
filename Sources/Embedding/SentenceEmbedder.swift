/// A sentence-transformers BERT model loaded from its Hugging Face folder (`config.json`,
/// `model.safetensors`, `tokenizer.json`, `sentence_bert_config.json`,
/// `1_Pooling/config.json`): text in, an L2-normalised vector out.
public struct SentenceEmbedder: Sendable {
  public let configuration: BERTConfiguration
  public let tokenizer: BERTTokenizer
  private let encoder: BERTEncoder

  /// The dense-layer kernel in use, for logs and benchmarks: `f32-avx512` or `f32-swift-simd`,
  /// `int8-avx512-vnni`, `int8-avx2` or `int8-portable`, by what this CPU offers.
  public var kernel: String {
    switch precision {
    case .f32: PackedLinearLayer.Kernel.best == .avx512 ? "f32-avx512" : "f32-swift-simd"
    case .int8: "int8-\(Int8LinearLayer.Kernel.best.rawValue)"
    }
  }

  /// The length of the vectors `embed` returns.
  public var dimension: Int { configuration.hiddenSize }

  /// The number format of the dense layers.
  public let precision: EmbeddingPrecision

  /// Loads the model folder at `directory`, its dense layers in `precision`; any missing file,
  /// unknown architecture, missing tensor or wrong shape is an `EmbeddingError` naming the file
  /// and field.
  public init(directory: String, precision: EmbeddingPrecision = .f32) throws {
    self.precision = precision
    configuration = try BERTConfiguration(directory: directory)
    tokenizer = try BERTTokenizer(path: "\(directory)/tokenizer.json")
    let file = try SafetensorsFile(path: "\(directory)/model.safetensors")
    encoder = BERTEncoder(
      configuration: configuration,
      weights: try BERTWeights(file: file, configuration: configuration, precision: precision))
  }

  /// The token ids the model sees for `text`: `[CLS] … [SEP]`, at most `max_seq_length`.
  public func tokenize(_ text: String) -> [Int32] {
    tokenizer.encode(text, maximumLength: configuration.maximumSequenceLength)
  }

  /// The sentence vector of `text` (unit length).
  public func embed(_ text: String) -> [Float] {
    embed(ids: tokenize(text))
  }

  /// The sentence vector of a token sequence already made by `tokenize` (at least
  /// `[CLS]` and `[SEP]`, at most `max_seq_length` ids, each below `vocab_size`).
  public func embed(ids: [Int32]) -> [Float] {
    precondition(
      ids.count >= 2 && ids.count <= configuration.maximumSequenceLength
        && ids.allSatisfy { $0 >= 0 && Int($0) < configuration.vocabularySize },
      "token ids must come from tokenize(_:)")
    let h = configuration.hiddenSize
    let states = UnsafeMutablePointer<Float>.allocate(capacity: ids.count * h)
    defer { states.deallocate() }
    encoder.hiddenStates(ids, into: states)
    var vector = [Float](repeating: 0, count: h)
    switch configuration.pooling {
    case .mean:
      for token in 0..<ids.count {
        for i in 0..<h { vector[i] += states[token * h + i] }
      }
    case .cls:
      for i in 0..<h { vector[i] = states[i] }
    }
    let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return norm > 0 ? vector.map { $0 / norm } : vector
  }
}
