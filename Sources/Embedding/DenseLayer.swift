/// One of the encoder's dense layers `y = x Wᵀ + b`, in the precision the model was loaded
/// with. A protocol rather than an enum of the two kinds: a multi-payload enum keeps its case
/// in spare bits of its payload's pointers, which hides them from LeakSanitizer (`make sanitize`
/// reported the int8 layers' arrays as leaked).
protocol DenseLayer: Sendable {
  /// Writes `rows × outputs` values to `output` from `rows × inputs` values at `input`.
  func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>)
}

extension PackedLinearLayer: DenseLayer {}
extension Int8LinearLayer: DenseLayer {}
