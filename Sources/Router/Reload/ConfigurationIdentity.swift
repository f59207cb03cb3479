/// Which configuration a router runs: its generation in this process (1 at start, one more for
/// each reload that took) and a digest of the file's bytes, so an operator can tell which
/// replicas run which config (`/metrics`, `/ready`, span attributes).
public struct ConfigurationIdentity: Sendable, Equatable {
  public var generation: Int
  /// 16 hex digits: FNV-1a (64-bit) of the file. It names a version, it does not protect one.
  public var digest: String

  public init(generation: Int, digest: String) {
    self.generation = generation
    self.digest = digest
  }

  /// The identity of a file whose bytes are `bytes`.
  public init(generation: Int, fileBytes bytes: some Sequence<UInt8>) {
    self.init(generation: generation, digest: Self.digest(of: bytes))
  }

  /// FNV-1a 64 of `bytes`, as 16 lower-case hex digits.
  static func digest(of bytes: some Sequence<UInt8>) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }
}
