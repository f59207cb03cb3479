#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A bump allocator for the protobuf-c message tree of one export request.
///
/// Everything an OTLP request points at (structs, pointer arrays, C strings, id bytes) is
/// carved out of a few large blocks that are reused batch after batch: `reset` rewinds without
/// freeing, so a steady stream of batches allocates nothing. Confined to the export thread.
final class EncodingArena {
  // Confined to one thread, so dynamic exclusivity checks are pure overhead here.
  @exclusivity(unchecked) private var blocks: [(base: UnsafeMutableRawPointer, size: Int)] = []
  @exclusivity(unchecked) private var blockIndex = -1
  /// The address of the next free byte of the current block, and the block's end (both 0
  /// before the first block), so the common allocation is two compares and an add.
  @exclusivity(unchecked) private var cursor: UInt = 0
  @exclusivity(unchecked) private var limit: UInt = 0
  private let blockSize: Int

  init(blockSize: Int = 256 * 1024) {
    self.blockSize = blockSize
  }

  deinit {
    for block in blocks { block.base.deallocate() }
  }

  /// Rewinds to the first block; earlier allocations become invalid.
  func reset() {
    blockIndex = -1
    cursor = 0
    limit = 0
    if !blocks.isEmpty { enter(block: 0) }
  }

  /// Uninitialised, suitably aligned memory for `count` values of `T`.
  func allocate<T>(_ type: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
    let bytes = MemoryLayout<T>.stride * max(count, 1)
    let raw = allocateRaw(bytes: bytes, alignment: MemoryLayout<T>.alignment)
    return raw.bindMemory(to: T.self, capacity: max(count, 1))
  }

  /// A NUL-terminated copy of `string` (a C string cannot hold NUL, so it ends at the first).
  func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
    let count = string.utf8.count
    let out = allocateRaw(bytes: count + 1, alignment: 1).bindMemory(
      to: CChar.self, capacity: count + 1)
    let copied = string.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
      if let base = utf8.baseAddress { memcpy(out, base, count) }
      return true
    }
    if copied == nil {
      for (i, byte) in string.utf8.enumerated() { out[i] = CChar(bitPattern: byte) }
    }
    out[count] = 0
    return out
  }

  /// A copy of `bytes`.
  func bytes(_ bytes: [UInt8]) -> UnsafeMutablePointer<UInt8> {
    bytes.withUnsafeBufferPointer { self.bytes($0) }
  }

  /// A copy of `bytes`.
  func bytes(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
    let out = allocate(UInt8.self, count: bytes.count)
    if let source = bytes.baseAddress { out.update(from: source, count: bytes.count) }
    return out
  }

  /// `value` as 8 big-endian bytes.
  func bigEndian(_ value: UInt64) -> UnsafeMutablePointer<UInt8> {
    let out = allocateRaw(bytes: 8, alignment: 1)
    out.storeBytes(of: value.bigEndian, as: UInt64.self)
    return out.bindMemory(to: UInt8.self, capacity: 8)
  }

  /// A trace id's 16 bytes.
  func traceID(_ id: TraceID) -> UnsafeMutablePointer<UInt8> {
    let out = allocateRaw(bytes: 16, alignment: 1)
    out.storeBytes(of: id.high.bigEndian, as: UInt64.self)
    out.storeBytes(of: id.low.bigEndian, toByteOffset: 8, as: UInt64.self)
    return out.bindMemory(to: UInt8.self, capacity: 16)
  }

  @inline(__always)
  private func allocateRaw(bytes: Int, alignment: Int) -> UnsafeMutableRawPointer {
    let mask = UInt(alignment - 1)
    let aligned = (cursor &+ mask) & ~mask
    if cursor != 0, aligned <= limit, UInt(bytes) <= limit &- aligned {
      cursor = aligned &+ UInt(bytes)
      return UnsafeMutableRawPointer(bitPattern: aligned).unsafelyUnwrapped
    }
    return allocateInNextBlock(bytes: bytes, alignment: alignment)
  }

  /// Moves to the next block that can hold `bytes` (a new one when the next is too small or
  /// there is none) and allocates there.
  @inline(never)
  private func allocateInNextBlock(bytes: Int, alignment: Int) -> UnsafeMutableRawPointer {
    // Blocks are 16-byte aligned and `alignment` is at most 16, so `bytes` fits at the start.
    precondition(alignment <= 16, "EncodingArena: alignment above 16")
    if blockIndex + 1 < blocks.count, blocks[blockIndex + 1].size >= bytes {
      enter(block: blockIndex + 1)
    } else {
      let size = max(blockSize, bytes + 16)
      let base = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
      blocks.insert((base, size), at: blockIndex + 1)
      enter(block: blockIndex + 1)
    }
    let start = cursor
    cursor = start &+ UInt(bytes)
    return UnsafeMutableRawPointer(bitPattern: start).unsafelyUnwrapped
  }

  private func enter(block index: Int) {
    blockIndex = index
    cursor = UInt(bitPattern: blocks[index].base)
    limit = cursor + UInt(blocks[index].size)
  }
}
