/// Scratch memory for the C structs of one message being encoded, released all at once.
///
/// One block is allocated up front and handed out by bumping an offset, so building a typical
/// response costs one `malloc`; requests that do not fit get their own blocks. Everything it
/// hands out is plain C data (no deinitialization needed) and dies with the arena.
struct CArena: ~Copyable {
  private let block: UnsafeMutableRawPointer
  private let capacity: Int
  private var used = 0
  private var overflow: [UnsafeMutableRawPointer] = []

  init(capacity: Int) {
    self.capacity = max(capacity, 64)
    self.block = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
  }

  deinit {
    block.deallocate()
    for pointer in overflow {
      pointer.deallocate()
    }
  }

  /// Uninitialized memory for `byteCount` bytes aligned to `alignment` (a power of two ≤ 16).
  mutating func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
    let start = (used + alignment - 1) & ~(alignment - 1)
    if start + byteCount <= capacity {
      used = start + byteCount
      return block + start
    }
    let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 16)
    overflow.append(pointer)
    return pointer
  }

  /// A copy of `value` in the arena.
  mutating func new<T>(_ value: T) -> UnsafeMutablePointer<T> {
    allocate(byteCount: MemoryLayout<T>.stride, alignment: MemoryLayout<T>.alignment)
      .initializeMemory(as: T.self, to: value)
  }

  /// Room for `count` values of `T`, uninitialized.
  mutating func array<T>(of type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
    allocate(byteCount: MemoryLayout<T>.stride * count, alignment: MemoryLayout<T>.alignment)
      .bindMemory(to: T.self, capacity: count)
  }

  /// A NUL-terminated copy of `string`'s UTF-8 bytes.
  mutating func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
    let utf8 = string.utf8
    let pointer = array(of: CChar.self, count: utf8.count + 1)
    UnsafeMutableRawBufferPointer(start: pointer, count: utf8.count).copyBytes(from: utf8)
    pointer[utf8.count] = 0
    return pointer
  }

  /// A copy of `string`'s UTF-8 bytes, for a protobuf `bytes` field.
  mutating func bytes(_ string: String) -> (count: Int, pointer: UnsafeMutablePointer<UInt8>?) {
    let utf8 = string.utf8
    guard !utf8.isEmpty else { return (0, nil) }
    let pointer = array(of: UInt8.self, count: utf8.count)
    UnsafeMutableRawBufferPointer(start: pointer, count: utf8.count).copyBytes(from: utf8)
    return (utf8.count, pointer)
  }
}
