import CLibFuzzer
import RedisCache
import Router

/// Decodes a fuzzed shared-cache entry as the Redis cache reads one back (a reply from a server
/// the router does not control), and checks that an entry it accepts encodes to one that
/// decodes to the same vector and answer.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let components = SharedCacheEntry.decodeComponents(bytes)
  guard let entry = SharedCacheEntry.decode(bytes) else { return 0 }
  precondition(
    components.map(bitPatterns) == bitPatterns(entry.components),
    "an entry's vector reads differently alone")
  let encoded = SharedCacheEntry.encode(
    vector: QueryVector(components: entry.components), response: entry.response)
  guard let again = SharedCacheEntry.decode(encoded) else {
    preconditionFailure("an encoded entry does not decode")
  }
  precondition(bitPatterns(again.components) == bitPatterns(entry.components), "vector changed")
  precondition(again.response == entry.response, "answer changed")
  return 0
}

/// Components compared bit for bit (a NaN is not equal to itself).
func bitPatterns(_ components: [Float]) -> [UInt32] {
  components.map(\.bitPattern)
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
