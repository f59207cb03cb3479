public import Router

/// A cached answer as stored in Redis: its query vector (for the exact cosine check) and the
/// answer, in one binary string.
///
/// Layout: `"vsr1"`, the vector's 256 little-endian float32 components, the content type's
/// length (u32 LE) and bytes, then the body. Anything else decodes to nil (skipped as a miss).
public enum SharedCacheEntry {
  private static let magic: [UInt8] = Array("vsr1".utf8)
  private static let vectorBytes = QueryVector.dimensions * 4

  public static func encode(vector: QueryVector, response: CachedResponse) -> [UInt8] {
    var bytes: [UInt8] = magic
    bytes.reserveCapacity(
      magic.count + vectorBytes + 4 + response.contentType.utf8.count + response.body.count)
    for component in vector.components {
      appendLittleEndian(component.bitPattern, to: &bytes)
    }
    appendLittleEndian(UInt32(response.contentType.utf8.count), to: &bytes)
    bytes.append(contentsOf: response.contentType.utf8)
    bytes.append(contentsOf: response.body)
    return bytes
  }

  public static func decode(
    _ bytes: [UInt8]
  ) -> (vector: QueryVector, response: CachedResponse)? {
    let headerEnd = magic.count + vectorBytes + 4
    guard bytes.count >= headerEnd, bytes.starts(with: magic) else { return nil }
    var components: [Float] = []
    components.reserveCapacity(QueryVector.dimensions)
    var offset = magic.count
    bytes.withUnsafeBytes { raw in
      for index in 0..<QueryVector.dimensions {
        let bits = raw.loadUnaligned(fromByteOffset: offset + index * 4, as: UInt32.self)
        components.append(Float(bitPattern: UInt32(littleEndian: bits)))
      }
    }
    offset += vectorBytes
    let typeLength = Int(readLittleEndian(bytes, at: offset))
    offset += 4
    guard typeLength <= bytes.count - offset else { return nil }
    let contentType = String(decoding: bytes[offset..<(offset + typeLength)], as: UTF8.self)
    let body = Array(bytes[(offset + typeLength)...])
    let response = CachedResponse(body: body, contentType: contentType)
    return (QueryVector(components: components), response)
  }

  private static func appendLittleEndian(_ value: UInt32, to bytes: inout [UInt8]) {
    for shift in stride(from: 0, to: 32, by: 8) {
      bytes.append(UInt8(truncatingIfNeeded: value >> shift))
    }
  }

  private static func readLittleEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { value, index in
      value | UInt32(bytes[offset + index]) << (index * 8)
    }
  }
}
