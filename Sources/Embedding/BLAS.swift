import COpenBLAS

/// The OpenBLAS calls the encoder makes (the attention products, whose operands change with
/// every query so there is nothing to pack ahead); the only file that sees the C library.
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
