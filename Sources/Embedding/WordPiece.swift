/// The WordPiece model (`"model": {"type": "WordPiece"}`): each word becomes the longest
/// vocabulary pieces from the left, continuation pieces carrying the `##` prefix; a word with
/// no such split, or longer than `max_input_chars_per_word`, becomes `[UNK]`.
struct WordPiece: Sendable {
  /// Token ids by the token's UTF-8 bytes (bytes, not `String`, so that canonically equivalent
  /// but different spellings stay different tokens, as in the reference implementation).
  let vocabulary: [[UInt8]: Int32]
  let unknownID: Int32
  let continuationPrefix: [UInt8]
  let maximumCharactersPerWord: Int

  func appendIDs(of word: ArraySlice<Unicode.Scalar>, to ids: inout [Int32]) {
    guard word.count <= maximumCharactersPerWord else {
      ids.append(unknownID)
      return
    }
    let pieceStart = ids.count
    var start = word.startIndex
    while start < word.endIndex {
      var end = word.endIndex
      var found: Int32?
      while start < end {
        var key = start == word.startIndex ? [] : continuationPrefix
        for scalar in word[start..<end] { key.append(contentsOf: scalar.utf8) }
        if let id = vocabulary[key] {
          found = id
          break
        }
        end -= 1
      }
      guard let id = found else {
        ids.removeSubrange(pieceStart...)
        ids.append(unknownID)
        return
      }
      ids.append(id)
      start = end
    }
  }
}
