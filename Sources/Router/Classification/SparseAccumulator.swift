/// Sums weights per feature index for one text: a small open-addressing table sized for the
/// text, so building a query's vector allocates once and never sorts.
struct SparseAccumulator {
  private var keys: [Int32]
  private var values: [Float]
  private let mask: Int
  /// Occupied slots, in insertion order.
  private(set) var slots: [Int] = []

  /// A table for about `expectedFeatures` distinct features (it grows if there are more).
  init(expectedFeatures: Int) {
    var capacity = 16
    while capacity < expectedFeatures * 2 { capacity <<= 1 }
    keys = Array(repeating: -1, count: capacity)
    values = Array(repeating: 0, count: capacity)
    mask = capacity - 1
    slots.reserveCapacity(expectedFeatures)
  }

  /// Adds `weight` to feature `index` (a non-negative feature index).
  mutating func add(_ index: Int32, _ weight: Float) {
    if slots.count * 2 >= keys.count { grow() }
    var slot = Int(UInt32(bitPattern: index) &* 0x9E37_79B1) & mask
    while true {
      let key = keys[slot]
      if key == index {
        values[slot] += weight
        return
      }
      if key < 0 {
        keys[slot] = index
        values[slot] = weight
        slots.append(slot)
        return
      }
      slot = (slot + 1) & mask
    }
  }

  /// Calls `body` with every (index, summed weight).
  func forEach(_ body: (Int32, Float) -> Void) {
    for slot in slots { body(keys[slot], values[slot]) }
  }

  var isEmpty: Bool { slots.isEmpty }

  private mutating func grow() {
    var bigger = SparseAccumulator(expectedFeatures: keys.count)
    forEach { bigger.add($0, $1) }
    self = bigger
  }
}
