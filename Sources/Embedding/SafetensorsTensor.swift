/// One tensor of a safetensors file: its type, shape and bytes inside the mapping.
public struct SafetensorsTensor: @unchecked Sendable {  // the bytes point into an immutable map
  /// The tensor's name in the header.
  public let name: String
  public let dtype: SafetensorsDType
  public let shape: [Int]
  /// The tensor's bytes (not necessarily aligned for its element type).
  let bytes: UnsafeRawBufferPointer

  /// The number of elements (the product of the shape; 1 for a scalar).
  public var count: Int { shape.reduce(1, *) }

  /// Elements `range` converted to `Float` (F32, F16 or BF16 only; the caller checked the type).
  func floats(_ range: Range<Int>, into output: UnsafeMutablePointer<Float>) {
    switch dtype {
    case .f32:
      UnsafeMutableRawPointer(output).copyMemory(
        from: bytes.baseAddress! + range.lowerBound * 4, byteCount: range.count * 4)
    case .f16:
      for (offset, index) in range.enumerated() {
        let bits = bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)
        output[offset] = Float(Float16(bitPattern: UInt16(littleEndian: bits)))
      }
    case .bf16:
      for (offset, index) in range.enumerated() {
        let bits = bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)
        output[offset] = Float(bitPattern: UInt32(UInt16(littleEndian: bits)) << 16)
      }
    default:
      preconditionFailure("floats(_:into:) called on \(dtype.rawValue) tensor \(name)")
    }
  }

  /// All elements as `Float`.
  func floats() -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      floats(0..<count, into: buffer.baseAddress!)
      initialized = count
    }
  }
}
