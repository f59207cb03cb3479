/// The number format of the encoder's dense layers (≈ 95% of its arithmetic). A configuration
/// names it by its raw value, `f32` or `int8`.
public enum EmbeddingPrecision: String, Sendable, CaseIterable {
  /// 32-bit floats throughout: within cosine 0.9999 of sentence-transformers.
  case f32
  /// Dense-layer weights quantised to int8 at load (one symmetric scale per output row), each
  /// layer's input quantised per call (one scale per row and block of 64 inputs), exact integer
  /// dot products; attention, softmax, GELU and LayerNorm stay in f32.
  case int8
}
