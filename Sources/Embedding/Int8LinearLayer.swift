/// A dense layer `y = x Wᵀ + b` in int8: the weights quantised once at load with one scale per
/// output row, each input row quantised per call with one scale per 64 inputs, the dot
/// products exact in int32 per block (the C kernels of `CKernels`).
struct Int8LinearLayer: Sendable {
  typealias Kernel = CKernels.Int8Kernel

  let inputs: Int
  let outputs: Int
  let kernel: Kernel
  private let weights: CKernels.Int8Weights
  private let bias: [Float]

  /// Quantises row-major `outputs × inputs` weights.
  init(weights: [Float], bias: [Float], inputs: Int, outputs: Int, kernel: Kernel = .best) {
    precondition(weights.count == inputs * outputs && bias.count == outputs)
    self.inputs = inputs
    self.outputs = outputs
    self.kernel = kernel
    self.bias = bias
    self.weights = CKernels.int8Pack(weights, inputs: inputs, outputs: outputs)
  }

  /// Writes `rows × outputs` values to `output` from `rows × inputs` values at `input`.
  func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
    CKernels.int8Linear(
      kernel, input, rows: rows, inputs: inputs, outputs: outputs, weights: weights, bias: bias,
      into: output)
  }
}
