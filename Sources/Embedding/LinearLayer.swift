/// A dense layer `y = x Wᵀ + b` over a batch of rows, as one of the kernels computes it.
protocol LinearLayer: Sendable {
  var inputs: Int { get }
  var outputs: Int { get }
  /// Writes `rows × outputs` values to `output` from `rows × inputs` values at `input`.
  func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>)
}

/// Which code multiplies the matrices of the encoder's dense layers.
public enum EmbeddingKernel: String, Sendable, CaseIterable {
  /// OpenBLAS `sgemm` on one thread, f32.
  case openBLAS = "openblas"
  /// Our own SIMD kernel over weights packed at load, f32.
  case packed

  func layer(weights: [Float], bias: [Float], inputs: Int, outputs: Int) -> any LinearLayer {
    switch self {
    case .openBLAS:
      BLASLinearLayer(weights: weights, bias: bias, inputs: inputs, outputs: outputs)
    case .packed:
      PackedLinearLayer(weights: weights, bias: bias, inputs: inputs, outputs: outputs)
    }
  }
}
