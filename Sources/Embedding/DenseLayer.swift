/// One of the encoder's dense layers in the precision the model was loaded with.
enum DenseLayer: Sendable {
  case f32(PackedLinearLayer)
  case int8(Int8LinearLayer)

  /// Packs row-major `outputs × inputs` weights for `precision`'s kernel.
  init(
    weights: [Float], bias: [Float], inputs: Int, outputs: Int, precision: EmbeddingPrecision
  ) {
    switch precision {
    case .f32:
      self = .f32(PackedLinearLayer(weights: weights, bias: bias, inputs: inputs, outputs: outputs))
    case .int8:
      self = .int8(Int8LinearLayer(weights: weights, bias: bias, inputs: inputs, outputs: outputs))
    }
  }

  /// Writes `rows × outputs` values to `output` from `rows × inputs` values at `input`.
  func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
    switch self {
    case .f32(let layer): layer.apply(input, rows: rows, into: output)
    case .int8(let layer): layer.apply(input, rows: rows, into: output)
    }
  }
}
