import CLibFuzzer
import Redis

/// Feeds fuzzed Redis replies to the RESP2 decoder whole and in chunks whose sizes the first
/// byte picks, with small limits so that every limit is reached, and checks that the split
/// changes neither the values nor where decoding fails.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let chunkSize = Int(data[0]) + 1
  let bytes = UnsafeBufferPointer(start: data + 1, count: size - 1)
  let whole = decode(bytes, chunkSize: bytes.count)
  let chunked = decode(bytes, chunkSize: chunkSize)
  precondition(whole.values == chunked.values, "the split changed the values")
  precondition(whole.error == chunked.error, "the split changed the error")
  return 0
}

/// The values decoded from `bytes` appended `chunkSize` at a time, and the error that ended
/// decoding, if any.
func decode(
  _ bytes: UnsafeBufferPointer<UInt8>, chunkSize: Int
) -> (values: [RESPValue], error: RESPDecodingError?) {
  var decoder = RESPDecoder(maxBulkBytes: 4096, maxElements: 64, maxDepth: 4, maxLineBytes: 64)
  var values: [RESPValue] = []
  var offset = 0
  repeat {
    let end = min(offset + max(chunkSize, 1), bytes.count)
    decoder.append(bytes[offset..<end])
    offset = end
    do {
      while let value = try decoder.next() { values.append(value) }
    } catch {
      return (values, error)
    }
    precondition(decoder.bufferedBytes <= bytes.count, "the decoder invented bytes")
  } while offset < bytes.count
  return (values, nil)
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
