import CEmbeddingKernels

/// The C kernels of `CEmbeddingKernels` (the int8 layers, the AVX-512 f32 layer) behind Swift
/// arrays and buffer pointers; the only file that imports the C module.
enum CKernels {
  /// The instruction sets an int8 kernel is written for; all give bit-identical results.
  enum Int8Kernel: String, Sendable, CaseIterable {
    case portable
    case avx2
    case avx512VNNI = "avx512-vnni"

    /// The fastest kernel this CPU runs, found once.
    static let best: Int8Kernel = {
      switch ek_int8_best_kernel() {
      case ek_int8_kernel_avx512_vnni: .avx512VNNI
      case ek_int8_kernel_avx2: .avx2
      default: .portable
      }
    }()

    /// The kernels this CPU can run.
    static var available: [Int8Kernel] { allCases.filter { $0.rank <= best.rank } }

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    fileprivate var c: ek_int8_kernel {
      switch self {
      case .portable: ek_int8_kernel_scalar
      case .avx2: ek_int8_kernel_avx2
      case .avx512VNNI: ek_int8_kernel_avx512_vnni
      }
    }
  }

  /// A layer's weights in the int8 kernels' format.
  struct Int8Weights: Sendable {
    /// The quantised weights in panels of 16 outputs × groups of 4 inputs.
    let packed: [Int8]
    /// Each output row's weight scale.
    let scales: [Float]
    /// Each output row's sums of quantised weights per 64-input block (VNNI's unsigned-offset
    /// correction).
    let blockSums: [Int32]
  }

  /// Quantises row-major `outputs × inputs` weights.
  static func int8Pack(_ weights: [Float], inputs: Int, outputs: Int) -> Int8Weights {
    precondition(weights.count == inputs * outputs)
    var packed = [Int8](repeating: 0, count: ek_int8_packed_size(Int32(outputs), Int32(inputs)))
    var scales = [Float](repeating: 0, count: outputs)
    var blockSums = [Int32](
      repeating: 0, count: ek_int8_block_sums_count(Int32(outputs), Int32(inputs)))
    ek_int8_pack(weights, Int32(outputs), Int32(inputs), &packed, &scales, &blockSums)
    return Int8Weights(packed: packed, scales: scales, blockSums: blockSums)
  }

  /// `rows × outputs` values to `output` from `rows × inputs` values at `input`.
  static func int8Linear(
    _ kernel: Int8Kernel, _ input: UnsafePointer<Float>, rows: Int, inputs: Int, outputs: Int,
    weights: Int8Weights, bias: [Float], into output: UnsafeMutablePointer<Float>
  ) {
    // The C kernel trusts its argument rather than asking the CPU on every call: a kernel
    // the CPU lacks would fault, so the best one it has (found once) stands in.
    let runnable = kernel.c.rawValue <= Int8Kernel.best.c.rawValue ? kernel.c : Int8Kernel.best.c
    let status = ek_int8_linear(
      runnable, input, Int32(rows), Int32(inputs), Int32(outputs), weights.packed,
      weights.scales, weights.blockSums, bias, output)
    // Only the kernel's scratch allocation can fail, as Swift's own allocations trap.
    precondition(status == 0, "out of memory for the int8 kernel's scratch")
  }

  /// Whether the CPU runs `f32Linear`.
  static let f32AVX512Available = ek_f32_avx512_available() != 0

  /// `rows × outputs` values to `output` from `rows × inputs` values at `input`, with weights
  /// and bias in `PackedLinearLayer`'s panels. Only when `f32AVX512Available`.
  static func f32Linear(
    _ input: UnsafePointer<Float>, rows: Int, inputs: Int, outputs: Int, packed: [Float],
    bias: [Float], into output: UnsafeMutablePointer<Float>
  ) {
    // Checked here against the answer found once: the C kernel does not ask the CPU per call.
    precondition(f32AVX512Available, "the AVX-512 kernel on a CPU without AVX-512")
    let status = ek_f32_linear(
      input, Int32(rows), Int32(inputs), Int32(outputs), packed, bias, output)
    precondition(status == 0, "the AVX-512 kernel is not built for this architecture")
  }
}
