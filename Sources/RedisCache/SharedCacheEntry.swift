public import Router

/// A cached answer as stored in Redis: its query vector (for the exact cosine check) and the
/// answer, in one binary string.
///
/// Layout (version 2): `"vsr2"`, the vector's kind (1 lexical, 2 embedding), its dimension
/// (u32 LE), its model digest (u64 LE, `QueryVector.model`), its little-endian float32
/// components, the content type's length (u32 LE) and
/// bytes, then the body. Version 1 (`"vsr1"`, written before vectors had other dimensions) is
/// still read: a 256-dimension lexical vector with no kind or dimension. Anything else, and a
/// vector of another space than the lookup's, decodes to nil (skipped as a miss).
public enum SharedCacheEntry {
  private static let version1: [UInt8] = Array("vsr1".utf8)
  private static let version2: [UInt8] = Array("vsr2".utf8)
  /// The largest dimension read back: far above any sentence-embedding model's, and a bound on
  /// what a corrupted length makes us allocate.
  private static let maxDimensions = 1 << 16

  /// An entry's bytes: the vector and the answer.
  public static func encode(vector: QueryVector, response: CachedResponse) -> [UInt8] {
    var bytes = encodeVector(vector)
    bytes.reserveCapacity(bytes.count + 4 + response.contentType.utf8.count + response.body.count)
    appendLittleEndian(UInt32(response.contentType.utf8.count), to: &bytes)
    bytes.append(contentsOf: response.contentType.utf8)
    bytes.append(contentsOf: response.body)
    return bytes
  }

  /// A vector alone: `"vsr2"`, its kind, dimension, model and little-endian float32
  /// components.
  public static func encodeVector(_ vector: QueryVector) -> [UInt8] {
    var bytes: [UInt8] = version2
    bytes.reserveCapacity(version2.count + 13 + vector.components.count * 4)
    bytes.append(vector.kind.rawValue)
    appendLittleEndian(UInt32(vector.components.count), to: &bytes)
    appendLittleEndian(UInt32(truncatingIfNeeded: vector.model), to: &bytes)
    appendLittleEndian(UInt32(truncatingIfNeeded: vector.model >> 32), to: &bytes)
    for component in vector.components {
      appendLittleEndian(component.bitPattern, to: &bytes)
    }
    return bytes
  }

  /// The components of `encodeVector`'s bytes (or of an entry's) when they are a vector of
  /// `space`, else nil. Components, not a `QueryVector`: a candidate needs only its cosine.
  public static func decodeComponents(_ bytes: [UInt8], space: QueryVector.Space) -> [Float]? {
    guard let header = header(bytes), header.space == space else { return nil }
    return components(bytes, from: header.componentsStart, count: space.dimensions)
  }

  /// An entry's vector components and answer, when the bytes are an entry with a vector of
  /// `space`, else nil.
  public static func decode(
    _ bytes: [UInt8], space: QueryVector.Space
  ) -> (components: [Float], response: CachedResponse)? {
    guard let header = header(bytes), header.space == space else { return nil }
    var offset = header.componentsStart + space.dimensions * 4
    guard bytes.count - offset >= 4 else { return nil }
    let typeLength = Int(readLittleEndian(bytes, at: offset))
    offset += 4
    guard typeLength <= bytes.count - offset else { return nil }
    let contentType = String(decoding: bytes[offset..<(offset + typeLength)], as: UTF8.self)
    let body = Array(bytes[(offset + typeLength)...])
    let components = components(bytes, from: header.componentsStart, count: space.dimensions)
    return (components, CachedResponse(body: body, contentType: contentType))
  }

  /// The vector's space and where its components start, when the bytes hold that many.
  private static func header(_ bytes: [UInt8]) -> (space: QueryVector.Space, componentsStart: Int)?
  {
    if bytes.starts(with: version1) {
      let space = QueryVector.Space(kind: .lexical, dimensions: QueryVector.dimensions)
      guard bytes.count - version1.count >= space.dimensions * 4 else { return nil }
      return (space, version1.count)
    }
    let start = version2.count + 13
    guard bytes.count >= start, bytes.starts(with: version2),
      let kind = QueryVector.Kind(rawValue: bytes[version2.count])
    else { return nil }
    let dimensions = Int(readLittleEndian(bytes, at: version2.count + 1))
    let model =
      UInt64(readLittleEndian(bytes, at: version2.count + 5))
      | UInt64(readLittleEndian(bytes, at: version2.count + 9)) << 32
    guard dimensions <= maxDimensions, bytes.count - start >= dimensions * 4 else { return nil }
    return (QueryVector.Space(kind: kind, dimensions: dimensions, model: model), start)
  }

  /// `count` components from `start` (the caller checked the length).
  private static func components(_ bytes: [UInt8], from start: Int, count: Int) -> [Float] {
    var components: [Float] = []
    components.reserveCapacity(count)
    bytes.withUnsafeBytes { raw in
      for index in 0..<count {
        let bits = raw.loadUnaligned(fromByteOffset: start + index * 4, as: UInt32.self)
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
