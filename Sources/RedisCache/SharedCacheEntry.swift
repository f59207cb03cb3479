public import Router

/// A cached answer as stored in Redis: its query vector (for the exact cosine check) and the
/// answer, in one binary string.
///
/// Layout: `"vsr1"`, the vector's 256 little-endian float32 components, the content type's
/// length (u32 LE) and bytes, then the body. Anything else decodes to nil (skipped as a miss).
public enum SharedCacheEntry {
  private static let magic: [UInt8] = Array("vsr1".utf8)
  private static let vectorBytes = QueryVector.dimensions * 4

  /// An entry's bytes: the vector and the answer.
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

  /// A vector alone: `"vsr1"` and its 256 little-endian float32 components.
  public static func encodeVector(_ vector: QueryVector) -> [UInt8] {
    var bytes: [UInt8] = magic
    bytes.reserveCapacity(magic.count + vectorBytes)
    for component in vector.components {
      appendLittleEndian(component.bitPattern, to: &bytes)
    }
    return bytes
  }

  /// The components of `encodeVector`'s bytes (or of an entry's), nil when they are not one.
  /// Components, not a `QueryVector`: a candidate needs only its cosine, not a signature.
  public static func decodeComponents(_ bytes: [UInt8]) -> [Float]? {
    guard bytes.count >= magic.count + vectorBytes, bytes.starts(with: magic) else { return nil }
    return components(bytes)
  }

  /// An entry's vector components and answer, nil when the bytes are not an entry.
  public static func decode(
    _ bytes: [UInt8]
  ) -> (components: [Float], response: CachedResponse)? {
    let headerEnd = magic.count + vectorBytes + 4
    guard bytes.count >= headerEnd, bytes.starts(with: magic) else { return nil }
    let components = components(bytes)
    var offset = magic.count + vectorBytes
    let typeLength = Int(readLittleEndian(bytes, at: offset))
    offset += 4
    guard typeLength <= bytes.count - offset else { return nil }
    let contentType = String(decoding: bytes[offset..<(offset + typeLength)], as: UTF8.self)
    let body = Array(bytes[(offset + typeLength)...])
    let response = CachedResponse(body: body, contentType: contentType)
    return (components, response)
  }

  /// The vector's components, after the magic (the caller checked the length).
  private static func components(_ bytes: [UInt8]) -> [Float] {
    var components: [Float] = []
    components.reserveCapacity(QueryVector.dimensions)
    bytes.withUnsafeBytes { raw in
      for index in 0..<QueryVector.dimensions {
        let bits = raw.loadUnaligned(fromByteOffset: magic.count + index * 4, as: UInt32.self)
        components.append(Float(bitPattern: UInt32(littleEndian: bits)))
      }
    }
    return components
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
