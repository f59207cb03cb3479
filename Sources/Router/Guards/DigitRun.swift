/// Up to 32 decimal digits (values 0-9) held inline, so reading a number allocates nothing.
struct DigitRun {
  static let capacity = 32

  private var storage = SIMD32<UInt8>()
  private(set) var count = 0

  /// Appends a digit; false when the run is full.
  @inline(__always)
  mutating func append(_ digit: UInt8) -> Bool {
    guard count < Self.capacity else { return false }
    storage[count] = digit
    count += 1
    return true
  }

  @inline(__always)
  subscript(index: Int) -> UInt8 { storage[index] }

  /// The number the first `length` digits spell.
  func prefixValue(_ length: Int) -> Int {
    var value = 0
    for index in 0..<min(length, count) { value = value * 10 + Int(storage[index]) }
    return value
  }
}
