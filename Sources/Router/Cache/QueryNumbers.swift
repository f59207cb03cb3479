/// The numbers a query states, as a digest for the cache key. Two questions that differ only in
/// a number ask different things ("What is 15% of 80?" / "… of 90?"), yet their vectors hardly
/// differ: the lexical features fold every number into one feature, and a sentence embedding
/// puts such pairs above any usable threshold. Keying the numbers keeps those answers apart.
enum QueryNumbers {
  /// A stable digest of the query's digit runs, in order (each followed by a separator, so
  /// "1 23" and "12 3" differ); nil when the query has no digit.
  static func digest(of text: String) -> UInt64? {
    var runs: [UInt8] = []
    var inRun = false
    for byte in text.utf8 {
      if byte &- UInt8(ascii: "0") < 10 {
        runs.append(byte)
        inRun = true
      } else if inRun {
        runs.append(UInt8(ascii: " "))
        inRun = false
      }
    }
    guard !runs.isEmpty else { return nil }
    if inRun { runs.append(UInt8(ascii: " ")) }
    return FeatureExtractor.fnv1a(runs)
  }
}
