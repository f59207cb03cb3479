import Testing

@testable import Embedding

/// The int8 dense layer against a plain f32 product, and its CPU-specific kernels against the
/// portable one. Sizes are deliberately ragged: inputs not a multiple of the 4-input groups,
/// outputs not a multiple of the 16-column panels, rows not a multiple of any tile.
struct Int8LinearLayerTests {
  /// A repeatable generator (xorshift), so a failure reproduces.
  struct Numbers {
    var state: UInt64
    mutating func next() -> Float {
      state ^= state << 13
      state ^= state >> 7
      state ^= state << 17
      return Float(state % 20_001) / 10_000 - 1
    }
    mutating func values(_ count: Int, scale: Float = 1) -> [Float] {
      (0..<count).map { _ in next() * scale }
    }
  }

  static func reference(
    _ x: [Float], _ w: [Float], _ bias: [Float], rows: Int, inputs: Int, outputs: Int
  ) -> [Float] {
    var y = [Float](repeating: 0, count: rows * outputs)
    for r in 0..<rows {
      for o in 0..<outputs {
        var sum = Double(bias[o])
        for k in 0..<inputs { sum += Double(x[r * inputs + k]) * Double(w[o * inputs + k]) }
        y[r * outputs + o] = Float(sum)
      }
    }
    return y
  }

  static func apply(_ layer: Int8LinearLayer, _ x: [Float], rows: Int) -> [Float] {
    var y = [Float](repeating: .nan, count: rows * layer.outputs)
    x.withUnsafeBufferPointer { x in
      y.withUnsafeMutableBufferPointer { y in
        layer.apply(x.baseAddress!, rows: rows, into: y.baseAddress!)
      }
    }
    return y
  }

  @Test(arguments: [(1, 37, 35), (9, 384, 40), (13, 64, 100), (17, 130, 16), (3, 200, 33)])
  func portableKernel_isWithinTheQuantisationBound(rows: Int, inputs: Int, outputs: Int) {
    var numbers = Numbers(state: 0x9E37_79B9_7F4A_7C15)
    let w = numbers.values(outputs * inputs)
    let x = numbers.values(rows * inputs, scale: 3)
    let bias = numbers.values(outputs)
    let layer = Int8LinearLayer(
      weights: w, bias: bias, inputs: inputs, outputs: outputs, kernel: .portable)
    let y = Self.apply(layer, x, rows: rows)
    let expected = Self.reference(x, w, bias, rows: rows, inputs: inputs, outputs: outputs)
    for r in 0..<rows {
      // (Activations are scaled per block of 64; the row's maximum bounds every block's.)
      let maxX = x[r * inputs..<(r + 1) * inputs].map(abs).max()!
      for o in 0..<outputs {
        let maxW = w[o * inputs..<(o + 1) * inputs].map(abs).max()!
        // Each quantised value is off by at most half a step (max/254), so each product by at
        // most maxX·maxW·(2/254 + 1/254²).
        let bound = Float(inputs) * maxX * maxW * (2.0 / 254 + 1.0 / (254 * 254)) * 1.001
        let error = abs(y[r * outputs + o] - expected[r * outputs + o])
        #expect(error <= bound, "row \(r) output \(o): error \(error) > \(bound)")
      }
    }
  }

  @Test(arguments: Int8LinearLayer.Kernel.available)
  func everyKernel_matchesThePortableOneBitForBit(kernel: Int8LinearLayer.Kernel) {
    var numbers = Numbers(state: 42)
    for (rows, inputs, outputs) in [(1, 37, 35), (7, 384, 1152), (16, 1536, 384), (21, 9, 49)] {
      let w = numbers.values(outputs * inputs)
      let x = numbers.values(rows * inputs, scale: 5)
      let bias = numbers.values(outputs)
      let portable = Int8LinearLayer(
        weights: w, bias: bias, inputs: inputs, outputs: outputs, kernel: .portable)
      let fast = Int8LinearLayer(
        weights: w, bias: bias, inputs: inputs, outputs: outputs, kernel: kernel)
      #expect(
        Self.apply(fast, x, rows: rows) == Self.apply(portable, x, rows: rows),
        "\(kernel) on \(rows)×\(inputs)→\(outputs)")
    }
  }

  @Test func zeroRowsAndZeroWeights_giveTheBias() {
    let inputs = 20, outputs = 18
    var w = [Float](repeating: 0.5, count: outputs * inputs)
    for k in 0..<inputs { w[3 * inputs + k] = 0 }  // one all-zero output row
    let bias = (0..<outputs).map { Float($0) }
    var x = [Float](repeating: 0, count: 2 * inputs)
    for k in 0..<inputs { x[inputs + k] = 1 }
    for kernel in Int8LinearLayer.Kernel.available {
      let layer = Int8LinearLayer(
        weights: w, bias: bias, inputs: inputs, outputs: outputs, kernel: kernel)
      let y = Self.apply(layer, x, rows: 2)
      #expect(Array(y[0..<outputs]) == bias, "\(kernel): a zero input row")
      #expect(y[outputs + 3] == 3, "\(kernel): an all-zero weight row")
      #expect(abs(y[outputs + 4] - (10 + 4)) < 1e-4, "\(kernel): 20 × 0.5 + bias")
    }
  }
}
