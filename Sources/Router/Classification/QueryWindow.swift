/// The part of a long query the classifier reads: its first and last `limit / 2` bytes, cut
/// at word boundaries. A question's subject sits at the start ("Summarize this contract: ...")
/// or at the end (a pasted log, then "why does this crash?"); reading both ends keeps the cost
/// of a query bounded whatever its length, as BERT-style classifiers bound theirs by truncating
/// to their sequence length. The unread middle is never matched by similarity: the semantic
/// cache keys it exactly (`SemanticRouter.cacheKey`).
struct QueryWindow: Equatable {
  /// Byte offsets of the head and the tail (empty when the whole query is the head).
  let head: Range<Int>
  let tail: Range<Int>
  /// Whether the whole text is read.
  let isWhole: Bool

  /// Longest distance a cut moves to reach a word boundary; a longer word is cut inside.
  private static let boundarySearch = 32

  /// The window of `bytes` for a limit of `limit` bytes (0: the whole text).
  init(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int) {
    let count = bytes.count
    guard limit > 0, count > limit else {
      head = 0..<count
      tail = count..<count
      isWhole = true
      return
    }
    var headEnd = limit / 2
    // A word the cut would split is left out, so the window never exceeds the limit.
    var moved = 0
    while headEnd > 0, moved < Self.boundarySearch,
      TextBytes.isWordByte(bytes[headEnd - 1]), TextBytes.isWordByte(bytes[headEnd])
    {
      headEnd -= 1
      moved += 1
    }
    var tailStart = count - limit / 2
    moved = 0
    while tailStart < count, moved < Self.boundarySearch,
      TextBytes.isWordByte(bytes[tailStart - 1]), TextBytes.isWordByte(bytes[tailStart])
    {
      tailStart += 1
      moved += 1
    }
    // Never inside a UTF-8 sequence: continuation bytes are 0b10xxxxxx.
    while headEnd > 0, bytes[headEnd] & 0xC0 == 0x80 { headEnd -= 1 }
    while tailStart < count, bytes[tailStart] & 0xC0 == 0x80 { tailStart += 1 }
    head = 0..<headEnd
    tail = tailStart..<count
    isWhole = false
  }

  /// The bytes between head and tail, which the classifier does not read.
  var middle: Range<Int> { head.upperBound..<max(head.upperBound, tail.lowerBound) }
}
