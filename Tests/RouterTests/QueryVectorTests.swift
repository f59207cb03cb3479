import Router
import Testing

@Suite struct QueryVectorTests {
  @Test func embedding_isScaledToUnitLength_andKeepsItsDimension() {
    let vector = QueryVector(embedding: [3, 4] + [Float](repeating: 0, count: 382))
    #expect(vector.kind == .embedding)
    #expect(vector.space == QueryVector.Space(kind: .embedding, dimensions: 384))
    #expect(vector.components[0] == 0.6)
    #expect(vector.components[1] == 0.8)
    #expect(abs(vector.cosine(vector) - 1) < 1e-6)
  }

  @Test func vectorsOfDifferentKinds_haveCosineZero() {
    var components = [Float](repeating: 0, count: QueryVector.dimensions)
    components[3] = 1
    let lexical = QueryVector(components: components)
    let embedding = QueryVector(embedding: components)
    #expect(lexical.cosine(lexical) == 1)
    #expect(lexical.cosine(embedding) == 0)
    #expect(lexical.space != embedding.space)
  }

  @Test func embeddingsOfDifferentModels_areDifferentSpaces_evenOfOneDimension() {
    let components = [Float](repeating: 0.5, count: 384)
    let minilm = QueryVector(embedding: components, model: "all-MiniLM-L6-v2")
    let other = QueryVector(embedding: components, model: "paraphrase-MiniLM-L6-v2")
    #expect(minilm.cosine(minilm) > 0.999)
    #expect(minilm.cosine(other) == 0)
    #expect(minilm.space != other.space)
    #expect(minilm.space == QueryVector(embedding: components, model: "all-MiniLM-L6-v2").space)
    let cache = SemanticCache(settings: SemanticCacheSettings(enabled: true))
    let answer = CachedResponse(body: Array("a".utf8), contentType: "text/plain")
    cache.store(key: "m", vector: minilm, response: answer)
    #expect(cache.lookup(key: "m", vector: minilm) == answer)
    #expect(cache.lookup(key: "m", vector: other) == nil)
  }

  @Test func allZeroOrEmptyVectors_areNotUsable() {
    #expect(!QueryVector.empty.isUsable)
    #expect(!QueryVector(embedding: [0, 0, 0]).isUsable)
    #expect(QueryVector(embedding: [0, 1e-3, 0]).isUsable)
  }

  /// The signature's bits differ with probability θ/π: near vectors share most of them,
  /// opposite ones almost none, at any dimension.
  @Test(arguments: [256, 384, 768, 100])
  func signature_tracksTheAngle(dimensions: Int) {
    var random = SystemRandomNumberGenerator()
    let base = (0..<dimensions).map { _ in Float.random(in: -1...1, using: &random) }
    let near = base.map { $0 + Float.random(in: -0.05...0.05, using: &random) }
    let a = QueryVector(embedding: base)
    let b = QueryVector(embedding: near)
    let opposite = QueryVector(embedding: base.map { -$0 })
    #expect((a.signature ^ b.signature).nonzeroBitCount <= 12)
    #expect((a.signature ^ opposite.signature).nonzeroBitCount >= 52)
  }
}
