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
  @exclusivity(unchecked) private var offset = 0
  private let blockSize: Int

  init(blockSize: Int = 256 * 1024) {
    self.blockSize = blockSize
  }

  deinit {
    for block in blocks { block.base.deallocate() }
  }

  /// Rewinds to the first block; earlier allocations become invalid.
  func reset() {
    blockIndex = blocks.isEmpty ? -1 : 0
    offset = 0
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
    let out = allocate(UInt8.self, count: bytes.count)
    bytes.withUnsafeBufferPointer { if let b = $0.baseAddress { out.update(from: b, count: $0.count) } }
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

  private func allocateRaw(bytes: Int, alignment: Int) -> UnsafeMutableRawPointer {
    while true {
      if blockIndex >= 0 {
        let block = blocks[blockIndex]
        let aligned = (offset + alignment - 1) & ~(alignment - 1)
        if aligned + bytes <= block.size {
          offset = aligned + bytes
          return block.base + aligned
        }
        if blockIndex + 1 < blocks.count, blocks[blockIndex + 1].size >= bytes {
          blockIndex += 1
          offset = 0
          continue
        }
      }
      let size = max(blockSize, bytes + 16)
      let base = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
      blocks.insert((base, size), at: blockIndex + 1)
      blockIndex += 1
      offset = 0
    }
  }
}
