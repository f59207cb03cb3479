/// The element-wise and row-wise steps of the encoder between its matrix products, 16 floats
/// at a time.
enum VectorMath {
  typealias Vector = SIMD16<Float>
  static let lanes = Vector.scalarCount

  @inline(__always)
  static func load(_ pointer: UnsafePointer<Float>) -> Vector {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
  }

  @inline(__always)
  static func store(_ value: Vector, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector.self)
  }

  /// Normalises each row of `rows × width` values to zero mean and unit variance, then scales
  /// by `gamma` and shifts by `beta` (BERT's LayerNorm; the variance is the biased one).
  static func layerNorm(
    _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, gamma: [Float], beta: [Float],
    epsilon: Float
  ) {
    let whole = width - width % lanes
    gamma.withUnsafeBufferPointer { gamma in
      beta.withUnsafeBufferPointer { beta in
        for row in 0..<rows {
          let values = x + row * width
          var sums = Vector()
          for i in stride(from: 0, to: whole, by: lanes) { sums += load(values + i) }
          var sum = sums.sum()
          for i in whole..<width { sum += values[i] }
          let mean = sum / Float(width)
          var squares = Vector()
          for i in stride(from: 0, to: whole, by: lanes) {
            let centred = load(values + i) - mean
            squares.addProduct(centred, centred)
          }
          var square = squares.sum()
          for i in whole..<width { square += (values[i] - mean) * (values[i] - mean) }
          let scale = 1 / (square / Float(width) + epsilon).squareRoot()
          for i in stride(from: 0, to: whole, by: lanes) {
            let normal = (load(values + i) - mean) * scale
            store(normal * load(gamma.baseAddress! + i) + load(beta.baseAddress! + i), values + i)
          }
          for i in whole..<width { values[i] = (values[i] - mean) * scale * gamma[i] + beta[i] }
        }
      }
    }
  }

  /// `x += y`, element by element.
  static func add(_ y: UnsafePointer<Float>, to x: UnsafeMutablePointer<Float>, count: Int) {
    let whole = count - count % lanes
    for i in stride(from: 0, to: whole, by: lanes) { store(load(x + i) + load(y + i), x + i) }
    for i in whole..<count { x[i] += y[i] }
  }

  /// The exact GELU, `x · Φ(x) = x/2 · (1 + erf(x/√2))` (BERT's `hidden_act: gelu`), with
  /// `erf` within 1.5e-7 (`erf(_:)` below).
  static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
    let inverseRootTwo: Float = 0.70710678118654752
    let whole = count - count % lanes
    for i in stride(from: 0, to: whole, by: lanes) {
      let v = load(x + i)
      store(0.5 * v * (1 + erf(v * inverseRootTwo)), x + i)
    }
    for i in whole..<count {
      var tail = Vector(repeating: x[i])
      tail = 0.5 * tail * (1 + erf(tail * inverseRootTwo))
      x[i] = tail[0]
    }
  }

  /// Replaces each row of `rows × width` values by its softmax.
  static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    let whole = width - width % lanes
    for row in 0..<rows {
      let values = x + row * width
      var maxima = Vector(repeating: -.infinity)
      for i in stride(from: 0, to: whole, by: lanes) {
        let v = load(values + i)
        maxima.replace(with: v, where: v .> maxima)
      }
      var maximum = maxima.max()
      for i in whole..<width { maximum = max(maximum, values[i]) }
      var sums = Vector()
      for i in stride(from: 0, to: whole, by: lanes) {
        let e = exp(load(values + i) - maximum)
        store(e, values + i)
        sums += e
      }
      var sum = sums.sum()
      for i in whole..<width {
        values[i] = exp(Vector(repeating: values[i] - maximum))[0]
        sum += values[i]
      }
      let inverse = 1 / sum
      for i in stride(from: 0, to: whole, by: lanes) {
        store(load(values + i) * inverse, values + i)
      }
      for i in whole..<width { values[i] *= inverse }
    }
  }

  typealias Bits = SIMD16<UInt32>

  /// `a·b + c` with one rounding: one FMA instruction per register, where `a * b + c` on SIMD
  /// types compiles to a multiply and an add (the polynomials below are most of exp and erf).
  @inline(__always)
  static func fused(_ a: Vector, _ b: Vector, _ c: Float) -> Vector {
    Vector(repeating: c).addingProduct(a, b)
  }

  /// `eˣ` lane by lane, within 2 ulp over the float range (Cody–Waite reduction to
  /// `r ∈ [-ln2/2, ln2/2]`, a degree-6 polynomial, then the exponent bits); underflows to 0.
  /// Integer steps go through bit patterns: Swift's generic float-to-integer SIMD conversion
  /// is a scalar loop.
  @inline(__always)
  static func exp(_ x: Vector) -> Vector {
    // (`replacing(with:where:)` rather than `pointwiseMax`, which compiles to a scalar loop.)
    var x = x.replacing(with: -87.3, where: x .< -87.3)
    x.replace(with: 88.7, where: x .> 88.7)
    // Adding 1.5·2²³ rounds x·log₂e to an integer n, left in the low mantissa bits.
    let shifter: Float = 12_582_912
    let shifted = x * 1.44269504088896341 + shifter
    let n = shifted - shifter
    let r = x - n * 0.693359375 + n * 2.12194440e-4
    var p = Vector(repeating: 1.9875691500e-4)
    p = fused(p, r, 1.3981999507e-3)
    p = fused(p, r, 8.3334519073e-3)
    p = fused(p, r, 4.1665795894e-2)
    p = fused(p, r, 1.6666665459e-1)
    p = fused(p, r, 5.0000001201e-1)
    p = p * r * r + r + 1
    let integer = unsafeBitCast(shifted, to: Bits.self) &- shifter.bitPattern
    let scale = (integer &+ 127) &<< 23
    return p * unsafeBitCast(scale, to: Vector.self)
  }

  /// `erf(x)` lane by lane, within 1.5e-7 (Abramowitz and Stegun 7.1.26).
  @inline(__always)
  static func erf(_ x: Vector) -> Vector {
    let bits = unsafeBitCast(x, to: Bits.self)
    let sign = bits & 0x8000_0000
    let a = unsafeBitCast(bits & 0x7FFF_FFFF, to: Vector.self)
    let t = 1 / (1 + 0.3275911 * a)
    var p = Vector(repeating: 1.061405429)
    p = fused(p, t, -1.453152027)
    p = fused(p, t, 1.421413741)
    p = fused(p, t, -0.284496736)
    p = fused(p, t, 0.254829592)
    let y = 1 - p * t * exp(0 - a * a)
    return unsafeBitCast(unsafeBitCast(y, to: Bits.self) | sign, to: Vector.self)
  }
}
