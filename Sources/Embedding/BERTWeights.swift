/// The tensors of a BERT checkpoint, checked against the configuration's sizes, the dense
/// layers packed for the kernel of the chosen precision.
struct BERTWeights: Sendable {
  /// One encoder layer.
  struct Layer: Sendable {
    /// Query, key and value projections fused into one `3·hidden × hidden` layer.
    let queryKeyValue: any DenseLayer
    let attentionOutput: any DenseLayer
    let attentionNorm: (gamma: [Float], beta: [Float])
    let intermediate: any DenseLayer
    let output: any DenseLayer
    let outputNorm: (gamma: [Float], beta: [Float])
  }

  /// The word embedding table stays in the mapped file; rows are read as tokens need them.
  let wordEmbeddings: SafetensorsTensor
  let positionEmbeddings: [Float]
  let tokenTypeEmbeddings: [Float]
  let embeddingNorm: (gamma: [Float], beta: [Float])
  let layers: [Layer]
  /// Keeps the mapping of `wordEmbeddings` alive.
  let file: SafetensorsFile

  init(file: SafetensorsFile, configuration c: BERTConfiguration, precision: EmbeddingPrecision)
    throws
  {
    self.file = file
    // Checkpoints saved from BertModel name tensors `embeddings.…`; those saved from a task
    // model (BertForMaskedLM, …) put the same tensors under `bert.`.
    let prefix = file.tensors["embeddings.word_embeddings.weight"] == nil ? "bert." : ""
    func tensor(_ name: String, _ shape: [Int]) throws -> SafetensorsTensor {
      let tensor = try file.tensor(prefix + name)
      guard tensor.shape == shape else {
        throw EmbeddingError(
          file: file.path, field: prefix + name,
          reason: "shape \(tensor.shape), but config.json implies \(shape)")
      }
      guard [.f32, .f16, .bf16].contains(tensor.dtype) else {
        throw EmbeddingError(
          file: file.path, field: prefix + name,
          reason: "dtype \(tensor.dtype.rawValue); only F32, F16 and BF16 load")
      }
      return tensor
    }
    func floats(_ name: String, _ shape: [Int]) throws -> [Float] {
      try tensor(name, shape).floats()
    }
    func norm(_ name: String, _ width: Int) throws -> (gamma: [Float], beta: [Float]) {
      (try floats("\(name).weight", [width]), try floats("\(name).bias", [width]))
    }
    let h = c.hiddenSize
    wordEmbeddings = try tensor("embeddings.word_embeddings.weight", [c.vocabularySize, h])
    positionEmbeddings = try floats(
      "embeddings.position_embeddings.weight", [c.maximumPositions, h])
    tokenTypeEmbeddings = try floats("embeddings.token_type_embeddings.weight", [c.tokenTypes, h])
    embeddingNorm = try norm("embeddings.LayerNorm", h)
    layers = try (0..<c.layers).map { index in
      let name = "encoder.layer.\(index)"
      func dense(_ names: [String], inputs: Int, outputs: Int) throws -> any DenseLayer {
        var weights: [Float] = []
        var bias: [Float] = []
        for part in names {
          weights += try floats("\(name).\(part).weight", [outputs, inputs])
          bias += try floats("\(name).\(part).bias", [outputs])
        }
        let outputs = outputs * names.count
        switch precision {
        case .f32:
          return PackedLinearLayer(weights: weights, bias: bias, inputs: inputs, outputs: outputs)
        case .int8:
          return Int8LinearLayer(weights: weights, bias: bias, inputs: inputs, outputs: outputs)
        }
      }
      let attention = "attention.self"
      return Layer(
        queryKeyValue: try dense(
          ["\(attention).query", "\(attention).key", "\(attention).value"], inputs: h,
          outputs: h),
        attentionOutput: try dense(["attention.output.dense"], inputs: h, outputs: h),
        attentionNorm: try norm("\(name).attention.output.LayerNorm", h),
        intermediate: try dense(
          ["intermediate.dense"], inputs: h, outputs: c.intermediateSize),
        output: try dense(["output.dense"], inputs: c.intermediateSize, outputs: h),
        outputNorm: try norm("\(name).output.LayerNorm", h))
    }
  }
}
