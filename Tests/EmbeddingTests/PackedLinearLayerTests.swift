import Testing

@testable import Embedding

/// The f32 dense layer against a plain product, and its AVX-512 C kernel against the Swift one.
/// Row counts cover every tile height of both (16, 8, 4, 2, 1 and 6-row tiles with tails).
struct PackedLinearLayerTests {
  typealias Numbers = Int8LinearLayerTests.Numbers
  static let shapes = [(1, 37, 35), (7, 384, 40), (16, 64, 100), (31, 130, 16), (45, 9, 49)]

  static func apply(_ layer: PackedLinearLayer, _ x: [Float], rows: Int) -> [Float] {
    var y = [Float](repeating: .nan, count: rows * layer.outputs)
    x.withUnsafeBufferPointer { x in
      y.withUnsafeMutableBufferPointer { y in
        layer.apply(x.baseAddress!, rows: rows, into: y.baseAddress!)
      }
    }
    return y
  }

  @Test(arguments: PackedLinearLayer.Kernel.available)
  func everyKernel_matchesAPlainProduct(kernel: PackedLinearLayer.Kernel) {
    var numbers = Numbers(state: 7)
    for (rows, inputs, outputs) in Self.shapes {
      let w = numbers.values(outputs * inputs)
      let x = numbers.values(rows * inputs, scale: 3)
      let bias = numbers.values(outputs)
      let layer = PackedLinearLayer(
        weights: w, bias: bias, inputs: inputs, outputs: outputs, kernel: kernel)
      let y = Self.apply(layer, x, rows: rows)
      let expected = Int8LinearLayerTests.reference(
        x, w, bias, rows: rows, inputs: inputs, outputs: outputs)
      for i in y.indices {
        // f32 rounding over `inputs` products of magnitude ≤ 3.
        #expect(
          abs(y[i] - expected[i]) <= Float(inputs) * 3 * 1e-6,
          "\(kernel) \(rows)×\(inputs)→\(outputs) at \(i): \(y[i]) vs \(expected[i])")
      }
    }
  }

  @Test func avx512Kernel_matchesTheSwiftOneBitForBit() throws {
    try #require(PackedLinearLayer.Kernel.available.contains(.avx512), "no AVX-512 here")
    var numbers = Numbers(state: 11)
    for (rows, inputs, outputs) in Self.shapes + [(32, 384, 1152), (16, 1536, 384)] {
      let w = numbers.values(outputs * inputs)
      let x = numbers.values(rows * inputs, scale: 3)
      let bias = numbers.values(outputs)
      let swift = PackedLinearLayer(
        weights: w, bias: bias, inputs: inputs, outputs: outputs, kernel: .swiftSIMD)
      let c = PackedLinearLayer(
        weights: w, bias: bias, inputs: inputs, outputs: outputs, kernel: .avx512)
      #expect(
        Self.apply(c, x, rows: rows) == Self.apply(swift, x, rows: rows),
        "\(rows)×\(inputs)→\(outputs)")
    }
  }
}
