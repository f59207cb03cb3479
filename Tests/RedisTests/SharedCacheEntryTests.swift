import RedisCache
import Router
import Testing

@Suite struct SharedCacheEntryTests {
  private let answer = CachedResponse(
    body: Array("{\"id\":1}".utf8), contentType: "application/json")

  private func embedding(_ dimensions: Int, model: String = "all-MiniLM-L6-v2") -> QueryVector {
    QueryVector(embedding: (0..<dimensions).map { Float($0 % 7) - 3 }, model: model)
  }

  @Test(arguments: [384, 768])
  func anEmbeddingEntry_decodesInItsOwnSpaceOnly(dimensions: Int) throws {
    let vector = embedding(dimensions)
    let bytes = SharedCacheEntry.encode(vector: vector, response: answer)
    let entry = try #require(SharedCacheEntry.decode(bytes, space: vector.space))
    #expect(entry.components == vector.components)
    #expect(entry.response == answer)
    #expect(SharedCacheEntry.decodeComponents(bytes, space: vector.space) == vector.components)
    // Another dimension, another model, or a lexical lookup, is a miss, not a misread.
    let other = QueryVector.Space(kind: .embedding, dimensions: dimensions / 2, model: vector.model)
    #expect(SharedCacheEntry.decode(bytes, space: other) == nil)
    #expect(
      SharedCacheEntry.decode(bytes, space: embedding(dimensions, model: "other").space) == nil)
    let lexical = QueryVector.Space(kind: .lexical, dimensions: dimensions)
    #expect(SharedCacheEntry.decodeComponents(bytes, space: lexical) == nil)
  }

  /// Entries written before vectors had a kind and dimension (`vsr1`, 256 lexical floats).
  @Test func aVersion1Entry_isStillReadAsLexical() throws {
    var bytes = Array("vsr1".utf8)
    for index in 0..<256 {
      let bits = Float(index == 5 ? 1 : 0).bitPattern
      bytes += (0..<4).map { UInt8(truncatingIfNeeded: bits >> ($0 * 8)) }
    }
    bytes += [16, 0, 0, 0] + Array("application/json".utf8) + Array("{}".utf8)
    let lexical = QueryVector.Space(kind: .lexical, dimensions: 256)
    let entry = try #require(SharedCacheEntry.decode(bytes, space: lexical))
    #expect(entry.components[5] == 1)
    #expect(
      entry.response == CachedResponse(body: Array("{}".utf8), contentType: "application/json"))
    #expect(SharedCacheEntry.decode(bytes, space: .init(kind: .embedding, dimensions: 256)) == nil)
  }

  @Test func truncatedOrHostileBytes_decodeToNil() {
    let vector = embedding(384)
    let bytes = SharedCacheEntry.encode(vector: vector, response: answer)
    for length in [0, 3, 4, 8, 9, 16, 17, 100, 17 + 384 * 4, 17 + 384 * 4 + 3] {
      #expect(SharedCacheEntry.decode(Array(bytes.prefix(length)), space: vector.space) == nil)
    }
    // A dimension far beyond the bytes, or beyond any model, is rejected before any read.
    var huge = bytes
    huge.replaceSubrange(5..<9, with: [0xFF, 0xFF, 0xFF, 0x7F])
    #expect(
      SharedCacheEntry.decode(
        huge, space: .init(kind: .embedding, dimensions: 0x7FFF_FFFF, model: vector.model)) == nil)
    var unknownKind = bytes
    unknownKind[4] = 9
    #expect(SharedCacheEntry.decode(unknownKind, space: vector.space) == nil)
  }
}
