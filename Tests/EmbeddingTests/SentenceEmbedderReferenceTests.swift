import Embedding
import Testing

/// Sentence vectors against `sentence-transformers` (PyTorch) on the 250 committed sentences.
@Suite(
  .enabled(
    if: TestModel.directory != nil, "no model: set SEMANTIC_ROUTER_TEST_MODEL or run `make venv`"))
struct SentenceEmbedderReferenceTests {
  static func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0, normA = 0.0, normB = 0.0
    for (x, y) in zip(a, b) {
      dot += Double(x) * Double(y)
      normA += Double(x) * Double(x)
      normB += Double(y) * Double(y)
    }
    return dot / (normA.squareRoot() * normB.squareRoot())
  }

  @Test func vectors_matchSentenceTransformers_withinCosine0_9999() throws {
    let embedder = try TestModel.embedder()
    let references = try TestModel.references("sentence-vectors.jsonl")
    #expect(references.count >= 200)
    var worst = (cosine: 1.0, text: "")
    for reference in references {
      let text = reference["text"] as! String
      let expected = (reference["vector"] as! [Double]).map(Float.init)
      let vector = embedder.embed(text)
      #expect(vector.count == embedder.dimension)
      let cosine = Self.cosine(vector, expected)
      if cosine < worst.cosine { worst = (cosine, text) }
    }
    #expect(
      worst.cosine >= 0.9999, "worst \(worst.cosine) on \(worst.text.debugDescription)")
  }

  /// The int8 path (issue 14's bar: cosine 0.995 on every sentence); prints worst and mean.
  @Test func int8Vectors_matchSentenceTransformers_withinCosine0_995() throws {
    let embedder = try TestModel.embedder(precision: .int8)
    let references = try TestModel.references("sentence-vectors.jsonl")
    #expect(references.count >= 200)
    var worst = (cosine: 1.0, text: "")
    var total = 0.0
    for reference in references {
      let text = reference["text"] as! String
      let expected = (reference["vector"] as! [Double]).map(Float.init)
      let cosine = Self.cosine(embedder.embed(text), expected)
      total += cosine
      if cosine < worst.cosine { worst = (cosine, text) }
    }
    print(
      "int8 (\(embedder.kernel)) vs sentence-transformers on \(references.count) sentences: "
        + "worst cosine \(worst.cosine), mean \(total / Double(references.count))")
    #expect(worst.cosine >= 0.995, "worst \(worst.cosine) on \(worst.text.debugDescription)")
  }

  @Test func vectors_haveUnitLength() throws {
    let embedder = try TestModel.embedder()
    let vector = embedder.embed("How do I undo my last commit?")
    let norm = vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
    #expect(abs(norm - 1) < 1e-5)
  }

  @Test func paraphrases_areCloserThanUnrelatedSentences() throws {
    let embedder = try TestModel.embedder()
    let question = embedder.embed("How do I undo my last commit?")
    let paraphrase = embedder.embed("revert the most recent git commit")
    let unrelated = embedder.embed("What is the capital of France?")
    #expect(Self.cosine(question, paraphrase) > Self.cosine(question, unrelated) + 0.3)
  }
}
