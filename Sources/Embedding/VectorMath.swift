import Foundation

/// The element-wise and row-wise steps of the encoder between its matrix products.
enum VectorMath {
  /// Normalises each row of `rows × width` values to zero mean and unit variance, then scales
  /// by `gamma` and shifts by `beta` (BERT's LayerNorm; the variance is the biased one).
  static func layerNorm(
    _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, gamma: [Float], beta: [Float],
    epsilon: Float
  ) {
    for row in 0..<rows {
      let values = x + row * width
      var sum: Float = 0
      for i in 0..<width { sum += values[i] }
      let mean = sum / Float(width)
      var squares: Float = 0
      for i in 0..<width {
        let centred = values[i] - mean
        squares += centred * centred
      }
      let scale = 1 / (squares / Float(width) + epsilon).squareRoot()
      for i in 0..<width { values[i] = (values[i] - mean) * scale * gamma[i] + beta[i] }
    }
  }

  /// `x += y`, element by element.
  static func add(_ y: UnsafePointer<Float>, to x: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { x[i] += y[i] }
  }

  /// The exact GELU, `x · Φ(x) = x/2 · (1 + erf(x/√2))` (BERT's `hidden_act: gelu`).
  static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
    let inverseRootTwo: Float = 0.70710678118654752
    for i in 0..<count { x[i] = 0.5 * x[i] * (1 + erf(x[i] * inverseRootTwo)) }
  }

  /// Replaces each row of `rows × width` values by its softmax.
  static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    for row in 0..<rows {
      let values = x + row * width
      var maximum = -Float.infinity
      for i in 0..<width { maximum = max(maximum, values[i]) }
      var sum: Float = 0
      for i in 0..<width {
        values[i] = exp(values[i] - maximum)
        sum += values[i]
      }
      let inverse = 1 / sum
      for i in 0..<width { values[i] *= inverse }
    }
  }
}
