import Embedding
import Testing

/// The WordPiece tokenizer against the Hugging Face `tokenizers` package with the same
/// tokenizer.json, on the 2,000+ committed strings (questions, code, accents, CJK, emoji,
/// control characters, long inputs).
@Suite(
  .enabled(
    if: TestModel.directory != nil, "no model: set SEMANTIC_ROUTER_TEST_MODEL or run `make venv`"))
struct TokenizerReferenceTests {
  @Test func tokenIDs_equalTheTokenizersPackage_onEveryReferenceString() throws {
    let tokenizer = try BERTTokenizer(path: "\(TestModel.directory!)/tokenizer.json")
    let references = try TestModel.references("token-ids.jsonl")
    #expect(references.count >= 2_000)
    var mismatches: [String] = []
    for reference in references {
      let text = reference["text"] as! String
      let expected = (reference["ids"] as! [Int]).map(Int32.init)
      let ids = tokenizer.encode(text)
      if ids != expected { mismatches.append("\(text.debugDescription): \(ids) != \(expected)") }
    }
    #expect(mismatches.isEmpty, "\(mismatches.count) differ, first: \(mismatches.prefix(3))")
  }

  @Test func truncation_keepsTheFirstTokensAndSEP_asTheTokenizersPackageDoes() throws {
    let embedder = try TestModel.embedder()
    let long = try TestModel.references("token-ids.jsonl").filter { $0["truncated"] != nil }
    #expect(long.count >= 20)
    for reference in long {
      let expected = (reference["truncated"] as! [Int]).map(Int32.init)
      let ids = embedder.tokenize(reference["text"] as! String)
      #expect(ids == expected)
      #expect(ids.count == embedder.configuration.maximumSequenceLength)
    }
  }
}
