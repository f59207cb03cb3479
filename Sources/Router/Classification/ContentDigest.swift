import Foundation

/// An FNV-1a-style 64-bit digest over bytes fed in pieces, taken 8 bytes at a time (a model
/// file is ~90 MB, a long query's unread middle tens of KB on every request): names a version
/// of some content (a model's files, a list of examples, the text a cache key stands for) so
/// that a stored result made from another version is not reused. The same in every process, so
/// replicas sharing a cache agree. It secures nothing.
struct ContentDigest {
  private static let prime: UInt64 = 0x100_0000_01b3
  private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

  mutating func add(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { add($0) }
  }

  mutating func add(_ bytes: UnsafeRawBufferPointer) {
    var hash = value
    let words = bytes.count / 8
    for index in 0..<words {
      let word = bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
      hash = (hash ^ UInt64(littleEndian: word)) &* Self.prime
    }
    for byte in bytes[(words * 8)...] {
      hash = (hash ^ UInt64(byte)) &* Self.prime
    }
    // The length, so "ab" + "c" and "a" + "bc" differ.
    value = (hash ^ UInt64(bytes.count)) &* Self.prime
  }

  /// The digest of `bytes`.
  static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var digest = ContentDigest()
    digest.add(bytes)
    return digest.value
  }

  /// The digest of `text`'s UTF-8 bytes.
  static func of(_ text: String) -> UInt64 {
    var text = text
    return text.withUTF8 { of(UnsafeRawBufferPointer($0)) }
  }

  /// A digest of the files' contents, in order (each mapped, not copied), then of `variant`
  /// (e.g. how the files are loaded); nil when one cannot be read.
  static func ofFiles(_ paths: [String], variant: String = "") -> UInt64? {
    var digest = ContentDigest()
    for path in paths {
      guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
      else { return nil }
      data.withUnsafeBytes { digest.add($0) }
    }
    digest.add(Array(variant.utf8))
    return digest.value
  }
}
