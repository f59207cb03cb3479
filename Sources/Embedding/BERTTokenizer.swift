import Foundation

/// The BERT tokenizer a model folder's `tokenizer.json` describes: added tokens matched in the
/// raw text, then `BERTNormalizer`, `BERTPreTokenizer` and `WordPiece`, then `[CLS] … [SEP]`,
/// truncated to the model's `max_seq_length` as the Hugging Face `tokenizers` package does.
public struct BERTTokenizer: Sendable {
  let normalizer: BERTNormalizer
  let wordPiece: WordPiece
  /// Tokens matched verbatim in the raw text before normalization (`added_tokens`), longest
  /// first, as UTF-8.
  let addedTokens: [(bytes: [UInt8], id: Int32)]
  public let classifierID: Int32
  public let separatorID: Int32
  /// The largest id `encode` can return (a table indexed by token id needs one more row).
  public let largestID: Int32

  /// Reads `tokenizer.json` at `path`.
  public init(path: String) throws {
    let file = try JSONFile(path: path)
    guard let model = file.object["model"] as? [String: Any],
      model["type"] as? String == "WordPiece"
    else { throw file.error("model.type", "only a WordPiece model is implemented") }
    guard let vocab = model["vocab"] as? [String: Any], !vocab.isEmpty else {
      throw file.error("model.vocab", "missing or empty")
    }
    var vocabulary: [[UInt8]: Int32] = [:]
    vocabulary.reserveCapacity(vocab.count)
    for (token, value) in vocab {
      guard let id = (value as? NSNumber)?.int32Value else {
        throw file.error("model.vocab.\(token)", "\(value) is not a token id")
      }
      vocabulary[Array(token.utf8)] = id
    }
    let unknown = model["unk_token"] as? String ?? "[UNK]"
    guard let unknownID = vocabulary[Array(unknown.utf8)] else {
      throw file.error("model.unk_token", "\(unknown) is not in the vocabulary")
    }
    wordPiece = WordPiece(
      vocabulary: vocabulary, unknownID: unknownID,
      continuationPrefix: Array((model["continuing_subword_prefix"] as? String ?? "##").utf8),
      maximumCharactersPerWord: (model["max_input_chars_per_word"] as? Int) ?? 100)

    guard let normalizerObject = file.object["normalizer"] as? [String: Any],
      normalizerObject["type"] as? String == "BertNormalizer"
    else { throw file.error("normalizer.type", "only BertNormalizer is implemented") }
    let lowercase = normalizerObject["lowercase"] as? Bool ?? true
    normalizer = BERTNormalizer(
      cleanText: normalizerObject["clean_text"] as? Bool ?? true,
      handleChineseCharacters: normalizerObject["handle_chinese_chars"] as? Bool ?? true,
      stripAccents: normalizerObject["strip_accents"] as? Bool ?? lowercase,
      lowercase: lowercase)
    guard (file.object["pre_tokenizer"] as? [String: Any])?["type"] as? String
      == "BertPreTokenizer"
    else { throw file.error("pre_tokenizer.type", "only BertPreTokenizer is implemented") }

    var added: [(bytes: [UInt8], id: Int32)] = []
    for (index, entry) in (file.object["added_tokens"] as? [[String: Any]] ?? []).enumerated() {
      guard let content = entry["content"] as? String, !content.isEmpty,
        let id = (entry["id"] as? NSNumber)?.int32Value
      else { throw file.error("added_tokens[\(index)]", "needs a content and an id") }
      added.append((Array(content.utf8), id))
    }
    addedTokens = added.sorted { $0.bytes.count > $1.bytes.count }

    func specialID(_ name: String) throws -> Int32 {
      guard let id = vocabulary[Array(name.utf8)] else {
        throw file.error("post_processor", "\(name) is not in the vocabulary")
      }
      return id
    }
    classifierID = try specialID("[CLS]")
    separatorID = try specialID("[SEP]")
    largestID = max(vocabulary.values.max() ?? 0, added.map(\.id).max() ?? 0)
  }

  /// The token ids of `text` with `[CLS]` and `[SEP]`, at most `maximumLength` of them
  /// (`[SEP]` kept last when truncating); no limit when `maximumLength` is nil.
  public func encode(_ text: String, maximumLength: Int? = nil) -> [Int32] {
    var ids: [Int32] = [classifierID]
    for segment in segments(text) {
      switch segment {
      case .added(let id):
        ids.append(id)
      case .text(let text):
        for word in BERTPreTokenizer.words(normalizer.normalize(text)) {
          wordPiece.appendIDs(of: word, to: &ids)
        }
      }
    }
    if let maximumLength, ids.count + 1 > maximumLength {
      ids.removeSubrange(max(1, maximumLength - 1)...)
    }
    ids.append(separatorID)
    return ids
  }

  private enum Segment {
    case text(String)
    case added(Int32)
  }

  /// `text` cut at every occurrence of an added token (leftmost, then longest).
  private func segments(_ text: String) -> [Segment] {
    let bytes = Array(text.utf8)
    var segments: [Segment] = []
    var start = 0
    var index = 0
    search: while index < bytes.count {
      for token in addedTokens where bytes[index...].starts(with: token.bytes) {
        if start < index {
          segments.append(.text(String(decoding: bytes[start..<index], as: UTF8.self)))
        }
        segments.append(.added(token.id))
        index += token.bytes.count
        start = index
        continue search
      }
      index += 1
    }
    if start < bytes.count {
      segments.append(.text(String(decoding: bytes[start...], as: UTF8.self)))
    }
    return segments
  }
}
