import CEmbeddingKernels

/// A dense layer `y = x Wᵀ + b` in int8: the weights quantised once at load with one scale per
/// output row, each input row quantised per call with one scale per 64 inputs, the dot
/// products exact in int32 per block (`CEmbeddingKernels`). The only file that calls the C
/// kernels.
struct Int8LinearLayer: Sendable {
  /// The instruction sets a kernel is written for; all give bit-identical results.
  enum Kernel: String, Sendable, CaseIterable {
    case portable
    case avx2
    case avx512VNNI = "avx512-vnni"

    /// The fastest kernel this CPU runs, found once.
    static let best: Kernel = {
      switch ek_int8_best_kernel() {
      case ek_int8_kernel_avx512_vnni: .avx512VNNI
      case ek_int8_kernel_avx2: .avx2
      default: .portable
      }
    }()

    /// The kernels this CPU can run.
    static var available: [Kernel] { allCases.filter { $0.rank <= best.rank } }

    fileprivate var rank: Int { Self.allCases.firstIndex(of: self)! }

    fileprivate var c: ek_int8_kernel {
      switch self {
      case .portable: ek_int8_kernel_scalar
      case .avx2: ek_int8_kernel_avx2
      case .avx512VNNI: ek_int8_kernel_avx512_vnni
      }
    }
  }

  let inputs: Int
  let outputs: Int
  let kernel: Kernel
  /// The quantised weights in the kernels' panel layout.
  private let packed: [Int8]
  /// Each output row's weight scale.
  private let scales: [Float]
  /// Each output row's sums of quantised weights per input block (VNNI's unsigned-offset
  /// correction).
  private let blockSums: [Int32]
  private let bias: [Float]

  /// Quantises row-major `outputs × inputs` weights.
  init(weights: [Float], bias: [Float], inputs: Int, outputs: Int, kernel: Kernel = .best) {
    precondition(weights.count == inputs * outputs && bias.count == outputs)
    self.inputs = inputs
    self.outputs = outputs
    self.kernel = kernel
    self.bias = bias
    var packed = [Int8](repeating: 0, count: ek_int8_packed_size(Int32(outputs), Int32(inputs)))
    var scales = [Float](repeating: 0, count: outputs)
    var blockSums = [Int32](
      repeating: 0, count: ek_int8_block_sums_count(Int32(outputs), Int32(inputs)))
    ek_int8_pack(weights, Int32(outputs), Int32(inputs), &packed, &scales, &blockSums)
    self.packed = packed
    self.scales = scales
    self.blockSums = blockSums
  }

  /// Writes `rows × outputs` values to `output` from `rows × inputs` values at `input`.
  func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
    let status = ek_int8_linear(
      kernel.c, input, Int32(rows), Int32(inputs), Int32(outputs), packed, scales, blockSums,
      bias, output)
    // Only the kernel's scratch allocation can fail, as Swift's own allocations trap.
    precondition(status == 0, "out of memory for the int8 kernel's scratch")
  }
}
