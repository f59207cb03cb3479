import Foundation

/// Distinct OpenAI chat-completion bodies of an exact size, made of phrases from text files in a
/// seeded random order (bench.py passes the classifier's hand-written questions,
/// deploy/classifier/*.txt), so that no two are near each other for the semantic cache.
///
/// The shape matches bench.py's body: `model` "auto", a system prompt, one user message that
/// fills the size, `temperature` and `max_tokens`.
struct RequestBodies {
  let phrases: [String]

  /// Reads the ASCII phrases of `files`: one or more comma-separated phrases a line, `#` lines
  /// skipped (phrases with quotes or backslashes too, so bodies need no JSON escapes).
  init(files: [String]) throws {
    var phrases: [String] = []
    for file in files {
      let text = try String(contentsOfFile: file, encoding: .utf8)
      for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        for phrase in line.split(separator: ",") {
          let trimmed = phrase.trimmingCharacters(in: .whitespaces)
          let plain = trimmed.utf8.allSatisfy {
            $0 >= 0x20 && $0 < 0x7f && $0 != 0x22 && $0 != 0x5c
          }
          if plain && !trimmed.isEmpty { phrases.append(trimmed) }
        }
      }
    }
    guard phrases.count >= 100 else {
      throw BenchmarkArguments.Failure("--words: fewer than 100 phrases in \(files)")
    }
    self.phrases = phrases
  }

  /// `count` bodies of exactly `size` bytes; the same seed gives the same bodies.
  func make(count: Int, size: Int, seed: UInt64) throws -> [[UInt8]] {
    let prefix =
      Array(
        #"{"model":"auto","messages":[{"role":"system","content":"You are a helpful assistant."},"#
          .utf8) + Array(#"{"role":"user","content":""#.utf8)
    let suffix = Array(#""}],"temperature":0.2,"max_tokens":256}"#.utf8)
    let contentSize = size - prefix.count - suffix.count
    guard contentSize > 0 else {
      throw BenchmarkArguments.Failure("body size \(size) is below \(prefix.count + suffix.count)")
    }
    var random = SplitMix64(seed: seed)
    var bodies: [[UInt8]] = []
    bodies.reserveCapacity(count)
    for _ in 0..<count {
      var content: [UInt8] = []
      content.reserveCapacity(contentSize + 64)
      while content.count < contentSize {
        if !content.isEmpty { content.append(UInt8(ascii: " ")) }
        content.append(contentsOf: phrases[Int(random.next() % UInt64(phrases.count))].utf8)
      }
      // Cut at the size, never leaving a trailing space (JSON stays valid either way).
      content.removeLast(content.count - contentSize)
      if content.last == UInt8(ascii: " ") { content[content.count - 1] = UInt8(ascii: "x") }
      bodies.append(prefix + content + suffix)
    }
    return bodies
  }
}
