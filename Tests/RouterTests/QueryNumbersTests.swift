import Testing

@testable import Router

@Suite struct QueryNumbersTests {
  /// The digit runs as the digest reads them: each run's digits and a separator, in order.
  private static func runs(_ text: String) -> [UInt8] {
    var runs: [UInt8] = []
    var inRun = false
    for byte in text.utf8 {
      if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
        runs.append(byte)
        inRun = true
      } else if inRun {
        runs.append(UInt8(ascii: " "))
        inRun = false
      }
    }
    if inRun { runs.append(UInt8(ascii: " ")) }
    return runs
  }

  private static func expected(_ text: String) -> UInt64? {
    let runs = runs(text)
    return runs.isEmpty ? nil : runs.withUnsafeBytes { ContentDigest.of($0) }
  }

  @Test func noDigit_isNil() {
    #expect(QueryNumbers.digest(of: "") == nil)
    #expect(QueryNumbers.digest(of: String(repeating: "what is photosynthesis ", count: 9)) == nil)
  }

  /// The scan passes over 16 digit-free bytes at once: a run at any offset, or across the edge
  /// of such a block, is read whole.
  @Test func runsAtEveryOffset_areReadAsTheBytesSay() {
    let filler = "the quick brown fox jumps over a lazy dog, é€ "
    for offset in 0..<40 {
      for run in ["7", "42", "2026", "31415926535897932384"] {
        let text = String(filler.prefix(offset)) + run + filler + "and 9"
        #expect(QueryNumbers.digest(of: text) == Self.expected(text), "\(offset) \(run)")
      }
    }
  }

  /// Every ASCII byte at every place of an 8-byte block, and multi-byte UTF-8 text: only the
  /// ten digits count ("/" and ":" border them).
  @Test func onlyDigits_count() {
    for scalar in (0..<128).map({ Unicode.Scalar(UInt8($0)) }) {
      for offset in 0..<16 {
        var text = String(repeating: "a", count: 24)
        let index = text.index(text.startIndex, offsetBy: offset)
        text.replaceSubrange(index...index, with: String(scalar))
        let isDigit = ("0"..."9").contains(scalar)
        #expect((QueryNumbers.digest(of: text) != nil) == isDigit, "\(scalar.value) at \(offset)")
      }
    }
    #expect(QueryNumbers.digest(of: "éèàü€😀中文ÿ\u{7F}\u{80}\u{FF}\u{B9}\u{2070}") == nil)
  }

  @Test func orderAndGrouping_change_theDigest() {
    #expect(QueryNumbers.digest(of: "15% of 80") != QueryNumbers.digest(of: "15% of 90"))
    #expect(QueryNumbers.digest(of: "add 1 and 23") != QueryNumbers.digest(of: "add 12 and 3"))
    #expect(QueryNumbers.digest(of: "80 then 15") != QueryNumbers.digest(of: "15 then 80"))
    #expect(QueryNumbers.digest(of: "15% of 80") == QueryNumbers.digest(of: "15 percent of 80"))
  }
}
