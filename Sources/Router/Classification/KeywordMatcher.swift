/// Evaluates every keyword rule of every category in one pass over the query.
///
/// Each keyword is indexed by the hash of its first word; walking the text word by word, a
/// word whose hash is indexed is checked byte for byte against those keywords (with word
/// boundaries), so the cost is one scan of the text whatever the number of keywords. Keywords
/// that do not start with a word character (e.g. `.NET`) are searched for directly. The caller
/// walks the words (`startScan`, `visit` per word, `finish`), so the classifier reads the text
/// once for keywords and features.
struct KeywordMatcher: Sendable {
  private struct Needle: Sendable {
    var bytes: [UInt8]
    var caseSensitive: Bool
  }

  /// (category, its rules as (operator, keyword ids)), in configuration order.
  private let categories: [(name: String, rules: [(KeywordRule.Operator, [Int])])]
  private let needles: [Needle]
  /// First-word hash → index into `candidates`; case-sensitive needles are keyed by their
  /// original bytes, the others by ASCII-lower-cased bytes, in separate tables.
  private let sensitiveIndex: HashTable64
  private let foldedIndex: HashTable64
  private let candidates: [[Int]]
  /// Needles starting with a non-word byte.
  private let unindexed: [Int]

  init(categories: [CategoryConfiguration]) {
    var needles: [Needle] = []
    var ruleTable: [(name: String, rules: [(KeywordRule.Operator, [Int])])] = []
    for category in categories where !category.keywordRules.isEmpty {
      var rules: [(KeywordRule.Operator, [Int])] = []
      for rule in category.keywordRules {
        var ids: [Int] = []
        for keyword in rule.keywords {
          let bytes =
            rule.caseSensitive ? Array(keyword.utf8) : keyword.utf8.map(TextBytes.asciiLowercased)
          ids.append(needles.count)
          needles.append(Needle(bytes: bytes, caseSensitive: rule.caseSensitive))
        }
        rules.append((rule.operator, ids))
      }
      ruleTable.append((category.name, rules))
    }
    var sensitive: [UInt64: Int] = [:]
    var folded: [UInt64: Int] = [:]
    var candidates: [[Int]] = []
    var unindexed: [Int] = []
    for (id, needle) in needles.enumerated() {
      guard let first = needle.bytes.first, TextBytes.isWordByte(first) else {
        unindexed.append(id)
        continue
      }
      let hash = Self.fnv1a(needle.bytes.prefix { TextBytes.isWordByte($0) })
      let slot: Int
      if let existing = needle.caseSensitive ? sensitive[hash] : folded[hash] {
        slot = existing
      } else {
        slot = candidates.count
        candidates.append([])
        if needle.caseSensitive { sensitive[hash] = slot } else { folded[hash] = slot }
      }
      candidates[slot].append(id)
    }
    self.categories = ruleTable
    self.needles = needles
    self.sensitiveIndex = HashTable64(sensitive.map { ($0.key, Int32($0.value)) })
    self.foldedIndex = HashTable64(folded.map { ($0.key, Int32($0.value)) })
    self.candidates = candidates
    self.unindexed = unindexed
  }

  var isEmpty: Bool { categories.isEmpty }

  /// The needles found so far in one text scanned word by word (`visit`, then `finish`).
  struct Scan {
    fileprivate var found: [Bool]
  }

  /// A scan with nothing found yet.
  func startScan() -> Scan {
    Scan(found: [Bool](repeating: false, count: needles.count))
  }

  /// Checks the keywords whose first word is `text[word]` (a maximal run of word bytes);
  /// `foldedHash` is that word's FNV-1a over ASCII-lower-cased bytes when the caller already
  /// has it (the feature extractor does), so the text is hashed once for both.
  @inline(__always)
  func visit(
    word: Range<Int>, foldedHash: UInt64?, in text: UnsafeBufferPointer<UInt8>,
    _ scan: inout Scan
  ) {
    if !sensitiveIndex.isEmpty {
      var hash = Self.offsetBasis
      for index in word { hash = (hash ^ UInt64(text[index])) &* Self.prime }
      if let slot = sensitiveIndex.value(for: hash) {
        check(candidates[Int(slot)], at: word.lowerBound, in: text, &scan.found)
      }
    }
    if !foldedIndex.isEmpty {
      let hash =
        foldedHash
        ?? word.reduce(Self.offsetBasis) {
          ($0 ^ UInt64(TextBytes.asciiLowercased(text[$1]))) &* Self.prime
        }
      if let slot = foldedIndex.value(for: hash) {
        check(candidates[Int(slot)], at: word.lowerBound, in: text, &scan.found)
      }
    }
  }

  /// Searches for the needles that do not start with a word byte, then returns the first
  /// category (in configuration order) with a matching rule, after every word of `text` was
  /// visited.
  func finish(_ scan: inout Scan, in text: UnsafeBufferPointer<UInt8>) -> String? {
    guard !categories.isEmpty else { return nil }
    if !unindexed.isEmpty {
      let folded = text.map(TextBytes.asciiLowercased)
      folded.withUnsafeBufferPointer { folded in
        for id in unindexed where !scan.found[id] {
          scan.found[id] = TextBytes.containsWord(
            needles[id].bytes, in: needles[id].caseSensitive ? text : folded)
        }
      }
    }
    let found = scan.found
    for (name, rules) in categories {
      for (ruleOperator, ids) in rules {
        let matched: Bool
        switch ruleOperator {
        case .or: matched = ids.contains { found[$0] }
        case .and: matched = ids.allSatisfy { found[$0] }
        case .nor: matched = !ids.contains { found[$0] }
        }
        if matched { return name }
      }
    }
    return nil
  }

  private func check(
    _ ids: [Int], at start: Int, in text: UnsafeBufferPointer<UInt8>, _ found: inout [Bool]
  ) {
    for id in ids where !found[id] {
      let needle = needles[id]
      let end = start + needle.bytes.count
      guard end <= text.count else { continue }
      var offset = 0
      if needle.caseSensitive {
        while offset < needle.bytes.count, text[start + offset] == needle.bytes[offset] {
          offset += 1
        }
      } else {
        while offset < needle.bytes.count,
          TextBytes.asciiLowercased(text[start + offset]) == needle.bytes[offset]
        {
          offset += 1
        }
      }
      guard offset == needle.bytes.count else { continue }
      let last = needle.bytes[needle.bytes.count - 1]
      if !TextBytes.isWordByte(last) || end == text.count || !TextBytes.isWordByte(text[end]) {
        found[id] = true
      }
    }
  }

  private static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
  private static let prime: UInt64 = 0x100_0000_01b3

  private static func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
    var hash = offsetBasis
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* prime }
    return hash
  }
}
