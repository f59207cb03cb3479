import COpenBLAS

/// The OpenBLAS calls the encoder makes; the only file that sees the C library.
enum BLAS {
  /// OpenBLAS's own thread pool stays at one thread: parallelism comes from running several
  /// inferences at once, one per core.
  static let singleThreaded: Void = openblas_set_num_threads(1)

  /// `C = alpha · A · op(B) + beta · C`, row-major; `op(B)` is `Bᵀ` when `transposeB`.
  static func multiply(
    rows m: Int, columns n: Int, depth k: Int, alpha: Float = 1,
    _ a: UnsafePointer<Float>, leading lda: Int,
    _ b: UnsafePointer<Float>, leading ldb: Int, transposeB: Bool,
    beta: Float = 0, into c: UnsafeMutablePointer<Float>, leading ldc: Int
  ) {
    _ = singleThreaded
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c,
      blasint(ldc))
  }
}

/// A dense layer multiplied by OpenBLAS, weights kept as the checkpoint stores them
/// (`outputs × inputs`).
struct BLASLinearLayer: LinearLayer {
  let weights: [Float]
  let bias: [Float]
  let inputs: Int
  let outputs: Int

  func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
      (output + row * outputs).update(from: bias, count: outputs)
    }
    weights.withUnsafeBufferPointer { w in
      BLAS.multiply(
        rows: rows, columns: outputs, depth: inputs, input, leading: inputs,
        w.baseAddress!, leading: inputs, transposeB: true, beta: 1, into: output,
        leading: outputs)
    }
  }
}
