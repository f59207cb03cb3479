import CLibFuzzer
import RedisCache
import Router

/// Decodes a fuzzed shared-cache entry as the Redis cache reads one back (a reply from a server
/// the router does not control) for the vector space its header names (a lexical 256 for
/// anything else), and checks that a lexical entry it accepts encodes to one that decodes to
/// the same vector and answer (a lexical vector has no model; an embedding cannot be rebuilt
/// from its components, since its model is a digest).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let space = claimedSpace(bytes)
  let components = SharedCacheEntry.decodeComponents(bytes, space: space)
  guard let entry = SharedCacheEntry.decode(bytes, space: space) else { return 0 }
  precondition(entry.components.count == space.dimensions, "a vector of another dimension")
  precondition(
    components.map(bitPatterns) == bitPatterns(entry.components),
    "an entry's vector reads differently alone")
  guard space.kind == .lexical, space.model == 0 else { return 0 }
  let encoded = SharedCacheEntry.encode(
    vector: QueryVector(components: entry.components), response: entry.response)
  guard let again = SharedCacheEntry.decode(encoded, space: space) else {
    preconditionFailure("an encoded entry does not decode")
  }
  precondition(bitPatterns(again.components) == bitPatterns(entry.components), "vector changed")
  precondition(again.response == entry.response, "answer changed")
  return 0
}

/// The space a version-2 header names (`"vsr2"`, kind, dimension u32 LE, model u64 LE), so
/// that fuzzed entries are decoded past the space check; the lexical 256 otherwise.
func claimedSpace(_ bytes: [UInt8]) -> QueryVector.Space {
  let lexical = QueryVector.Space(kind: .lexical, dimensions: QueryVector.dimensions)
  guard bytes.count >= 17, bytes.starts(with: Array("vsr2".utf8)),
    let kind = QueryVector.Kind(rawValue: bytes[4])
  else { return lexical }
  func integer(_ range: Range<Int>) -> UInt64 {
    range.reversed().reduce(0) { $0 << 8 | UInt64(bytes[$1]) }
  }
  return QueryVector.Space(
    kind: kind, dimensions: Int(integer(5..<9)), model: integer(9..<17))
}

/// Components compared bit for bit (a NaN is not equal to itself).
func bitPatterns(_ components: [Float]) -> [UInt32] {
  components.map(\.bitPattern)
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
