/// Evaluates every keyword rule of every category in one pass over the query.
///
/// Each keyword is indexed by the hash of its first word; walking the text word by word, a
/// word whose hash is indexed is checked byte for byte against those keywords (with word
/// boundaries), so the cost is one scan of the text whatever the number of keywords. Keywords
/// that do not start with a word character (e.g. `.NET`) are searched for directly.
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

  /// The first category (in configuration order) with a matching rule.
  func firstMatch(in text: String) -> String? {
    guard !categories.isEmpty else { return nil }
    var text = text
    return text.withUTF8 { bytes -> String? in
      let found = matchedNeedles(bytes)
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
  }

  /// Which needles occur in `text`. Words are hashed only for the tables that have entries
  /// (case-sensitive rules are rare), and case-insensitive comparisons fold as they go, so the
  /// text is not copied unless a needle has to be searched for directly.
  private func matchedNeedles(_ text: UnsafeBufferPointer<UInt8>) -> [Bool] {
    var found = [Bool](repeating: false, count: needles.count)
    let hashesSensitive = !sensitiveIndex.isEmpty
    let hashesFolded = !foldedIndex.isEmpty
    var index = 0
    if hashesSensitive || hashesFolded {
      while index < text.count {
        guard TextBytes.isWordByte(text[index]) else {
          index += 1
          continue
        }
        let start = index
        var sensitiveHash: UInt64 = Self.offsetBasis
        var foldedHash: UInt64 = Self.offsetBasis
        while index < text.count, TextBytes.isWordByte(text[index]) {
          let byte = text[index]
          if hashesSensitive { sensitiveHash = (sensitiveHash ^ UInt64(byte)) &* Self.prime }
          if hashesFolded {
            foldedHash = (foldedHash ^ UInt64(TextBytes.asciiLowercased(byte))) &* Self.prime
          }
          index += 1
        }
        if hashesSensitive, let slot = sensitiveIndex.value(for: sensitiveHash) {
          check(candidates[Int(slot)], at: start, in: text, &found)
        }
        if hashesFolded, let slot = foldedIndex.value(for: foldedHash) {
          check(candidates[Int(slot)], at: start, in: text, &found)
        }
      }
    }
    guard !unindexed.isEmpty else { return found }
    let folded = text.map(TextBytes.asciiLowercased)
    folded.withUnsafeBufferPointer { folded in
      for id in unindexed where !found[id] {
        found[id] = TextBytes.containsWord(
          needles[id].bytes, in: needles[id].caseSensitive ? text : folded)
      }
    }
    return found
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
