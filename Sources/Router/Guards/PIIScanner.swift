/// Finds personal data and secrets in text in one linear pass.
///
/// The text is read as whitespace-separated tokens; a token's byte classes (gathered while
/// finding its end) decide which detectors look at it. Between tokens, text without any byte a
/// value needs (digits, `@`, `:`, `-`, `_`) is skipped eight bytes at a time, and the scan backs
/// up to the start of the token holding the first such byte. Digit runs that span tokens
/// (`4111 1111 1111 1111`, `+44 20 7946 0958`) are read as a group of up to
/// `maximumRunTokens` numeric tokens; IBANs written in groups of four are joined the same way. Matches never overlap and come in text order.
public struct PIIScanner: Sendable {
  /// The types looked for.
  public let types: PIITypeSet

  /// Most tokens one number may span (`+1 (555) 123 45 67` is six).
  static let maximumRunTokens = 6

  public init(types: PIITypeSet = .all) {
    self.types = types
  }

  /// The matches in `text`.
  public func scan(_ text: String) -> [PIIMatch] {
    var text = text
    return text.withUTF8 { scan($0) }
  }

  /// The matches in UTF-8 `text`.
  public func scan(_ text: UnsafeBufferPointer<UInt8>) -> [PIIMatch] {
    var matches: [PIIMatch] = []
    guard !types.isEmpty else { return matches }
    let table = ByteClass.table
    let count = text.count
    var index = 0
    var pending: [Range<Int>] = []  // numeric tokens waiting to be read as one number
    table.withUnsafeBufferPointer { table in
      while index < count {
        if pending.isEmpty, index + 8 <= count {
          // Between tokens: skip lower-case words and spaces eight bytes at a time, then back
          // up to the start of the token the first other byte belongs to.
          let skipped = index
          while index + 8 <= count, Self.isPlainWord(text, at: index) { index += 8 }
          if index > skipped {
            while index > skipped, !ByteClass.isSpace(text[index - 1]) { index -= 1 }
          }
          // The skip can end exactly at the end of the text (plain words ending in a space).
          if index == count { break }
        }
        var classes = table[Int(text[index])]
        if classes == ByteClass.space {
          index += 1
          continue
        }
        let start = index
        while index < count {
          let bits = table[Int(text[index])]
          if bits == ByteClass.space { break }
          classes |= bits
          index += 1
        }
        let token = start..<index
        if let numeric = numericToken(text, token, classes) {
          // Joined with the previous numeric token when only one space or tab separates them.
          if let last = pending.last, numeric.lowerBound - last.upperBound > 2
            || !onlyBlanks(text, last.upperBound..<numeric.lowerBound)
          {
            flushNumbers(text, &pending, into: &matches)
          } else if pending.count == Self.maximumRunTokens {
            // Read the oldest token's number; the rest may still join with the next ones.
            flushNumbers(text, &pending, into: &matches, keepingTail: true)
          }
          pending.append(numeric)
          continue
        }
        flushNumbers(text, &pending, into: &matches)
        if classes & Self.interesting == 0 { continue }
        index = examine(text, token, classes, into: &matches)
      }
      flushNumbers(text, &pending, into: &matches)
    }
    return matches
  }

  /// Whether the eight bytes at `index` hold none of the bytes a value needs (digits, `@`,
  /// `:`, `-`, `_`): SWAR per-byte checks in one 64-bit word; bytes of 0x80 and more (UTF-8
  /// beyond ASCII) count as plain.
  @inline(__always)
  private static func isPlainWord(_ text: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
    let word = UInt64(
      littleEndian: UnsafeRawPointer(text.baseAddress.unsafelyUnwrapped + index)
        .loadUnaligned(as: UInt64.self))
    let high: UInt64 = 0x8080_8080_8080_8080
    let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    let ascii = word & low7  // each byte below 0x80: no carry between bytes below
    @inline(__always) func equals(_ byte: UInt64) -> UInt64 {
      ~((ascii ^ (byte &* 0x0101_0101_0101_0101)) &+ low7) & high
    }
    let digitOrColon = (ascii &+ 0x5050_5050_5050_5050) & ~(ascii &+ 0x4545_4545_4545_4545) & high
    let wanted = digitOrColon | equals(0x40) | equals(0x2D) | equals(0x5F)
    return wanted & ~word == 0
  }

  /// The byte classes some detector needs (what `isPlainWord` looks for).
  @inline(__always)
  private static var interesting: UInt16 {
    ByteClass.digit | ByteClass.at | ByteClass.colon | ByteClass.dash | ByteClass.underscore
  }

  /// Looks at one token with the detectors its classes call for; returns where the scan goes
  /// on (past the token, or past a multi-token match such as a PEM block or an IBAN).
  private func examine(
    _ text: UnsafeBufferPointer<UInt8>, _ token: Range<Int>, _ classes: UInt16,
    into matches: inout [PIIMatch]
  ) -> Int {
    let before = matches.count
    if types.contains(.secret) {
      if classes & ByteClass.dash != 0, text[token.lowerBound] == UInt8(ascii: "-"),
        let block = SecretDetector.privateKeyBlock(in: text, at: token.lowerBound)
      {
        matches.append(PIIMatch(type: .secret, range: block))
        return block.upperBound
      }
      if classes & ByteClass.digit != 0,
        let previous = previousToken(text, before: token.lowerBound),
        SecretDetector.isBearerWord(text, token: previous),
        let credential = SecretDetector.isBearerCredential(text, token: token)
      {
        matches.append(PIIMatch(type: .secret, range: credential))
        return token.upperBound
      }
      if classes & (ByteClass.digit | ByteClass.underscore | ByteClass.dash) != 0 {
        SecretDetector.findTokens(in: text, token: token, into: &matches)
      }
    }
    if types.contains(.iban), classes & ByteClass.upper != 0, classes & ByteClass.digit != 0,
      let iban = ibanMatch(text, token)
    {
      matches.append(PIIMatch(type: .iban, range: iban))
      return iban.upperBound
    }
    if types.contains(.email), classes & ByteClass.at != 0 {
      var index = token.lowerBound
      while index < token.upperBound {
        if text[index] == UInt8(ascii: "@"),
          let email = EmailDetector.match(in: text, token: token, at: index),
          !overlaps(email, matches[before...])
        {
          matches.append(PIIMatch(type: .email, range: email))
          index = email.upperBound
        } else {
          index += 1
        }
      }
    }
    if types.contains(.ip), classes & ByteClass.digit != 0,
      classes & (ByteClass.dot | ByteClass.colon) != 0
    {
      var found: [PIIMatch] = []
      IPAddressDetector.find(in: text, token: token, into: &found)
      for match in found where !overlaps(match.range, matches[before...]) {
        matches.append(match)
      }
    }
    if matches.count - before > 1 {
      matches[before...].sort { $0.range.lowerBound < $1.range.lowerBound }
    }
    return token.upperBound
  }

  // MARK: - Numbers

  /// The part of `token` that may belong to a written number (digits, `+`, `(`, `)`, `-`,
  /// `.`), without a trailing full stop, comma or closing quote; nil for any other token.
  private func numericToken(
    _ text: UnsafeBufferPointer<UInt8>, _ token: Range<Int>, _ classes: UInt16
  ) -> Range<Int>? {
    guard classes & ByteClass.digit != 0,
      classes & (ByteClass.upper | ByteClass.lower | ByteClass.at | ByteClass.colon
        | ByteClass.underscore) == 0,
      types.contains(.phone) || types.contains(.card) || types.contains(.ssn)
    else { return nil }
    var start = token.lowerBound
    var end = token.upperBound
    while start < end, "\"'`[{<".utf8.contains(text[start]) { start += 1 }
    while end > start, ".,;!?\"'`]}>".utf8.contains(text[end - 1]) { end -= 1 }
    guard start < end else { return nil }
    for index in start..<end {
      guard text[index] &- 48 < 10 || "+()-.".utf8.contains(text[index]) else { return nil }
    }
    // A lone IPv4 address is left to the IP detector.
    if text[start..<end].contains(UInt8(ascii: ".")),
      IPAddressDetector.ipv4Length(UnsafeBufferPointer(rebasing: text[start..<end])) == end - start
    {
      return nil
    }
    return start..<end
  }

  /// Reads the pending numeric tokens as numbers: from each token, the longest run of tokens
  /// that is a number wins; the tokens read are consumed. `keepingTail` reads only from the
  /// oldest token (a full run) and keeps the tokens after what it consumed, so a number is never
  /// cut by the run limit; each token starts a reading at most once, so the pass stays linear.
  private func flushNumbers(
    _ text: UnsafeBufferPointer<UInt8>, _ pending: inout [Range<Int>],
    into matches: inout [PIIMatch], keepingTail: Bool = false
  ) {
    guard !pending.isEmpty else { return }
    var first = 0
    defer { pending.removeFirst(first) }
    while first < pending.count {
      if keepingTail, pending.count - first < Self.maximumRunTokens { break }
      var matched = false
      for last in stride(from: pending.count - 1, through: first, by: -1) {
        let range = pending[first].lowerBound..<pending[last].upperBound
        // The closing parenthesis of `(555)` stays; a lone one belongs to the sentence.
        let bytes = UnsafeBufferPointer(rebasing: text[range])
        if let type = NumberSequenceClassifier.classify(bytes, types: types) {
          matches.append(PIIMatch(type: type, range: trimmed(text, range)))
          first = last + 1
          matched = true
          break
        }
      }
      if !matched { first += 1 }
    }
  }

  /// `range` without an unbalanced closing parenthesis at its end.
  private func trimmed(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
    let bytes = text[range]
    let opens = bytes.filter { $0 == UInt8(ascii: "(") }.count
    let closes = bytes.filter { $0 == UInt8(ascii: ")") }.count
    var start = range.lowerBound
    var end = range.upperBound
    if closes > opens, text[end - 1] == UInt8(ascii: ")") { end -= 1 }
    if opens > closes, text[start] == UInt8(ascii: "(") { start += 1 }
    return start..<end
  }

  // MARK: - IBAN

  /// An IBAN starting at `token`: written whole, or in groups of four separated by single
  /// spaces (`DE89 3704 0044 0532 0130 00`).
  private func ibanMatch(_ text: UnsafeBufferPointer<UInt8>, _ token: Range<Int>) -> Range<Int>? {
    var start = token.lowerBound
    while start < token.upperBound, !(text[start] &- 65 < 26) { start += 1 }
    guard start + 4 <= token.upperBound, text[start + 1] &- 65 < 26,
      text[start + 2] &- 48 < 10, text[start + 3] &- 48 < 10,
      start == token.lowerBound || !ByteClass.isAlphanumeric(text[start - 1]),
      let length = IBANValidator.length(country: text[start], text[start + 1])
    else { return nil }
    var characters: [UInt8] = []
    characters.reserveCapacity(length)
    var index = start
    var end = start
    var group = 0
    while index < text.count, characters.count < length {
      let byte = text[index]
      if byte &- 48 < 10 || byte &- 65 < 26 {
        characters.append(byte)
        group += 1
        index += 1
        end = index
      } else if byte == UInt8(ascii: " "), group == 4, index + 1 < text.count,
        ByteClass.isAlphanumeric(text[index + 1])
      {
        group = 0
        index += 1
      } else {
        break
      }
    }
    guard characters.count == length,
      end == text.count || !ByteClass.isAlphanumeric(text[end]),
      IBANValidator.isValid(characters)
    else { return nil }
    return start..<end
  }

  // MARK: - Helpers

  /// The token before `index` on the same line (only blanks between), if any.
  private func previousToken(
    _ text: UnsafeBufferPointer<UInt8>, before index: Int
  ) -> Range<Int>? {
    var end = index
    while end > 0, text[end - 1] == UInt8(ascii: " ") || text[end - 1] == 0x09 { end -= 1 }
    guard end < index else { return nil }
    var start = end
    while start > 0, !ByteClass.isSpace(text[start - 1]), end - start < 8 { start -= 1 }
    return start < end ? start..<end : nil
  }

  private func onlyBlanks(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
    text[range].allSatisfy { $0 == UInt8(ascii: " ") || $0 == 0x09 }
  }

  private func overlaps(_ range: Range<Int>, _ matches: ArraySlice<PIIMatch>) -> Bool {
    matches.contains { $0.range.overlaps(range) }
  }
}
