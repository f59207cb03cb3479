/// The BERT encoder's forward pass for one token sequence: embeddings, `layers` blocks of
/// multi-head self-attention and feed-forward, each followed by a residual LayerNorm.
///
/// One sequence per call, so every position is a real token and the attention mask is all
/// ones. Scratch memory is allocated per call: any number of threads may run it at once.
struct BERTEncoder: Sendable {
  let configuration: BERTConfiguration
  let weights: BERTWeights

  /// The last layer's hidden states, `ids.count × hiddenSize`, written to `x`.
  func hiddenStates(_ ids: [Int32], into x: UnsafeMutablePointer<Float>) {
    let c = configuration
    let tokens = ids.count
    let h = c.hiddenSize
    let heads = c.attentionHeads
    let headSize = h / heads
    let scale = 1 / Float(headSize).squareRoot()

    embed(ids, into: x)

    let qkv = UnsafeMutablePointer<Float>.allocate(capacity: tokens * 3 * h)
    let context = UnsafeMutablePointer<Float>.allocate(capacity: tokens * h)
    let projected = UnsafeMutablePointer<Float>.allocate(capacity: tokens * h)
    let scores = UnsafeMutablePointer<Float>.allocate(capacity: tokens * tokens)
    let intermediate = UnsafeMutablePointer<Float>.allocate(
      capacity: tokens * c.intermediateSize)
    defer {
      for buffer in [qkv, context, projected, scores, intermediate] { buffer.deallocate() }
    }
    for layer in weights.layers {
      layer.queryKeyValue.apply(x, rows: tokens, into: qkv)
      for head in 0..<heads {
        let query = qkv + head * headSize
        let key = query + h
        let value = query + 2 * h
        BLAS.multiply(
          rows: tokens, columns: tokens, depth: headSize, alpha: scale, query, leading: 3 * h,
          key, leading: 3 * h, transposeB: true, into: scores, leading: tokens)
        VectorMath.softmax(scores, rows: tokens, width: tokens)
        BLAS.multiply(
          rows: tokens, columns: headSize, depth: tokens, scores, leading: tokens, value,
          leading: 3 * h, transposeB: false, into: context + head * headSize, leading: h)
      }
      layer.attentionOutput.apply(context, rows: tokens, into: projected)
      VectorMath.add(projected, to: x, count: tokens * h)
      VectorMath.layerNorm(
        x, rows: tokens, width: h, gamma: layer.attentionNorm.gamma,
        beta: layer.attentionNorm.beta, epsilon: c.layerNormEpsilon)
      layer.intermediate.apply(x, rows: tokens, into: intermediate)
      VectorMath.gelu(intermediate, count: tokens * c.intermediateSize)
      layer.output.apply(intermediate, rows: tokens, into: projected)
      VectorMath.add(projected, to: x, count: tokens * h)
      VectorMath.layerNorm(
        x, rows: tokens, width: h, gamma: layer.outputNorm.gamma, beta: layer.outputNorm.beta,
        epsilon: c.layerNormEpsilon)
    }
  }

  /// Word + position + token-type (0) embeddings, then LayerNorm.
  private func embed(_ ids: [Int32], into x: UnsafeMutablePointer<Float>) {
    let h = configuration.hiddenSize
    for (position, id) in ids.enumerated() {
      let row = x + position * h
      let word = Int(id) * h
      weights.wordEmbeddings.floats(word..<word + h, into: row)
      for i in 0..<h {
        row[i] += weights.positionEmbeddings[position * h + i] + weights.tokenTypeEmbeddings[i]
      }
    }
    VectorMath.layerNorm(
      x, rows: ids.count, width: h, gamma: weights.embeddingNorm.gamma,
      beta: weights.embeddingNorm.beta, epsilon: configuration.layerNormEpsilon)
  }
}
