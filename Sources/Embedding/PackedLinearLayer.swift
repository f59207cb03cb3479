/// A dense layer `y = x Wᵀ + b` multiplied by our own SIMD kernel, with the weights packed once
/// at load into panels of `width` output columns (`panel[k][j] = W[panelStart + j][k]`),
/// so each step of the inner loop is one vector load, a broadcast and a fused multiply-add per
/// row, and no call repacks the weights (OpenBLAS repacks its B operand on every call, which
/// costs as much as the multiply at query sizes). On CPUs with AVX-512 the same panels go to
/// the C kernel (`CKernels.f32Linear`): 16-row tiles and prefetching; both kernels add the
/// products in the same order with fused multiply-adds, so they give the same bits.
struct PackedLinearLayer: Sendable {
  /// The code that multiplies.
  enum Kernel: Sendable, CaseIterable {
    /// `SIMD16<Float>` in Swift, 6-row tiles (AVX2 + FMA on x86-64).
    case swiftSIMD
    /// The C AVX-512 kernel.
    case avx512

    /// The fastest kernel this CPU runs.
    static let best: Kernel = CKernels.f32AVX512Available ? .avx512 : .swiftSIMD

    /// The kernels this CPU can run.
    static var available: [Kernel] { best == .avx512 ? allCases : [.swiftSIMD] }
  }

  /// Output columns per panel: one `SIMD16<Float>`, two AVX2 registers.
  static let width = 16
  /// Rows of the input computed together: 6 rows × 16 columns of accumulators fill 12 of the
  /// 16 AVX2 registers, leaving room for the panel's vector and the broadcast.
  static let rowBlock = 6

  let inputs: Int
  let outputs: Int
  /// `panels × inputs × width` weights, the last panel zero-padded.
  private let packed: [Float]
  /// The bias zero-padded to a whole number of panels.
  private let bias: [Float]

  let kernel: Kernel

  init(weights: [Float], bias: [Float], inputs: Int, outputs: Int, kernel: Kernel = .best) {
    self.inputs = inputs
    self.outputs = outputs
    self.kernel = kernel
    let width = Self.width
    let panels = (outputs + width - 1) / width
    var packed = [Float](repeating: 0, count: panels * inputs * width)
    for output in 0..<outputs {
      let panelBase = (output / width) * inputs * width + output % width
      for input in 0..<inputs {
        packed[panelBase + input * width] = weights[output * inputs + input]
      }
    }
    self.packed = packed
    self.bias = bias + [Float](repeating: 0, count: panels * width - outputs)
  }

  /// Writes `rows × outputs` values to `output` from `rows × inputs` values at `input`.
  func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
    if kernel == .avx512 {
      CKernels.f32Linear(
        input, rows: rows, inputs: inputs, outputs: outputs, packed: packed, bias: bias,
        into: output)
      return
    }
    let width = Self.width
    let panels = (outputs + width - 1) / width
    let tailInput = UnsafeMutablePointer<Float>.allocate(capacity: Self.rowBlock * inputs)
    tailInput.initialize(repeating: 0, count: Self.rowBlock * inputs)
    let tailRows = rows % Self.rowBlock
    tailInput.update(from: input + (rows - tailRows) * inputs, count: tailRows * inputs)
    let tailOutput = UnsafeMutablePointer<Float>.allocate(capacity: Self.rowBlock * width)
    defer {
      tailInput.deallocate()
      tailOutput.deallocate()
    }
    packed.withUnsafeBufferPointer { packed in
      bias.withUnsafeBufferPointer { bias in
        for panel in 0..<panels {
          let weights = packed.baseAddress! + panel * inputs * width
          let start = Self.load(bias.baseAddress! + panel * width)
          let columns = min(width, outputs - panel * width)
          var row = 0
          while row + Self.rowBlock <= rows {
            sixRows(
              input + row * inputs, weights, start, output + row * outputs + panel * width,
              stride: outputs, columns: columns)
            row += Self.rowBlock
          }
          if row < rows {
            // The last 1–5 rows go through the same kernel, from zero-padded copies: a
            // one-row loop would run at a quarter of the speed, and at 16 tokens that is a
            // quarter of the rows.
            sixRows(tailInput, weights, start, tailOutput, stride: width, columns: width)
            for tail in 0..<rows - row {
              (output + (row + tail) * outputs + panel * width).update(
                from: tailOutput + tail * width, count: columns)
            }
          }
        }
      }
    }
  }

  @inline(__always)
  private func sixRows(
    _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, _ start: SIMD16<Float>,
    _ y: UnsafeMutablePointer<Float>, stride m: Int, columns: Int
  ) {
    let n = inputs
    var c0 = start, c1 = start, c2 = start, c3 = start, c4 = start, c5 = start
    for k in 0..<n {
      let w = Self.load(weights + k * Self.width)
      c0.addProduct(SIMD16(repeating: x[k]), w)
      c1.addProduct(SIMD16(repeating: x[n + k]), w)
      c2.addProduct(SIMD16(repeating: x[2 * n + k]), w)
      c3.addProduct(SIMD16(repeating: x[3 * n + k]), w)
      c4.addProduct(SIMD16(repeating: x[4 * n + k]), w)
      c5.addProduct(SIMD16(repeating: x[5 * n + k]), w)
    }
    Self.store(c0, to: y, columns: columns)
    Self.store(c1, to: y + m, columns: columns)
    Self.store(c2, to: y + 2 * m, columns: columns)
    Self.store(c3, to: y + 3 * m, columns: columns)
    Self.store(c4, to: y + 4 * m, columns: columns)
    Self.store(c5, to: y + 5 * m, columns: columns)
  }

  @inline(__always)
  private static func load(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
  }

  @inline(__always)
  private static func store(
    _ value: SIMD16<Float>, to pointer: UnsafeMutablePointer<Float>, columns: Int
  ) {
    if columns == width {
      UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD16<Float>.self)
    } else {
      for j in 0..<columns { pointer[j] = value[j] }
    }
  }
}
