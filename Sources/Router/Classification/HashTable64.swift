/// A fixed open-addressing table from 64-bit hashes to small integers, built once and then only
/// read: a probe costs a multiply and a few array reads, far less than `Set`/`Dictionary`
/// (which hash their keys again with SipHash), on the per-token path of every query.
struct HashTable64: Sendable {
  private let keys: [UInt64]
  /// -1 marks an empty slot.
  private let values: [Int32]
  private let mask: Int
  /// Whether the table has no entry (a lookup can be skipped).
  let isEmpty: Bool

  /// A table of `entries` (later duplicates of a key win).
  init(_ entries: [(key: UInt64, value: Int32)]) {
    var capacity = 16
    while capacity < entries.count * 2 { capacity <<= 1 }
    var keys = [UInt64](repeating: 0, count: capacity)
    var values = [Int32](repeating: -1, count: capacity)
    let mask = capacity - 1
    for (key, value) in entries {
      var slot = Self.slot(key, mask: mask)
      while values[slot] >= 0, keys[slot] != key { slot = (slot + 1) & mask }
      keys[slot] = key
      values[slot] = value
    }
    self.keys = keys
    self.values = values
    self.mask = mask
    self.isEmpty = entries.isEmpty
  }

  @inline(__always)
  private static func slot(_ key: UInt64, mask: Int) -> Int {
    Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
  }

  /// The value stored for `key`.
  @inline(__always)
  func value(for key: UInt64) -> Int32? {
    var slot = Self.slot(key, mask: mask)
    while true {
      let value = values[slot]
      if value < 0 { return nil }
      if keys[slot] == key { return value }
      slot = (slot + 1) & mask
    }
  }

  @inline(__always)
  func contains(_ key: UInt64) -> Bool { value(for: key) != nil }
}
