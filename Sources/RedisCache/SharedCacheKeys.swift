public import Router

/// The Redis keys of one cache key's entries (under `key_prefix`):
/// - `{prefix}e:{key}:{id}`: an entry (`SharedCacheEntry`); `id` digests the key and the
///   query vector, so the same question finds its entry with one GET (the exact fast path);
/// - `{prefix}v:{key}:{id}`: the entry's vector alone, for comparing candidates;
/// - `{prefix}b:{key}:{band}:{bits}`: a set of entry ids whose signature has these bits in
///   this band (locality-sensitive hashing: similar vectors share a band with high
///   probability, so near neighbours are found by lookups, never by scanning);
/// - `{prefix}z:{key}`: a sorted set of entry ids by store time, trimmed to `max_entries`.
///
/// `key` appears as its FNV-1a digest: cache keys carry model names and digests of any length.
/// Vectors of a space other than 256-dimension lexical have the space in the digest too, so
/// entries of different spaces never share a band set (lexical ones keep the digest they had
/// before vectors had spaces, and stay findable).
public struct SharedCacheKeys: Sendable {
  /// Bands of the 64-bit signature, of `bitsPerBand` bits each. At the default threshold
  /// (cosine 0.95, each bit differs with probability 0.10) a match shares at least one of the
  /// 8 bands of 8 bits with probability 0.99; an unrelated vector (probability 0.5 per bit) is a
  /// candidate with probability 8/256.
  public static let bands = 8
  public static let bitsPerBand = 8
  /// The most candidates fetched per lookup.
  public static let maxCandidates = 32

  public let keyDigest: String
  private let base: String

  public init(prefix: String, cacheKey: String, space: QueryVector.Space) {
    let lexical = QueryVector.Space(kind: .lexical, dimensions: QueryVector.dimensions)
    let digested = space == lexical ? cacheKey : cacheKey + "\u{0}" + space.description
    keyDigest = String(Self.fnv1a(Array(digested.utf8)), radix: 16)
    base = prefix
  }

  /// The entry id of `vector` under this key.
  public func entryID(_ vector: QueryVector) -> String {
    var hash = Self.fnv1a(Array(keyDigest.utf8))
    for component in vector.components {
      let bits = component.bitPattern
      for shift in stride(from: 0, to: 32, by: 8) {
        hash = (hash ^ UInt64(UInt8(truncatingIfNeeded: bits >> shift))) &* 0x100_0000_01b3
      }
    }
    return String(hash, radix: 16)
  }

  public func entry(_ id: String) -> String { "\(base)e:\(keyDigest):\(id)" }

  /// The entry's query vector alone, so candidates are compared without fetching answers.
  public func vector(_ id: String) -> String { "\(base)v:\(keyDigest):\(id)" }

  public var recency: String { "\(base)z:\(keyDigest)" }

  /// The band keys of a signature, one per band.
  public func bandKeys(_ signature: UInt64) -> [String] {
    (0..<Self.bands).map { band in
      let bits = (signature >> UInt64(band * Self.bitsPerBand)) & ((1 << Self.bitsPerBand) - 1)
      return "\(base)b:\(keyDigest):\(band):\(String(bits, radix: 16))"
    }
  }

  static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
  }
}
