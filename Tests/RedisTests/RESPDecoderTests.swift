import Testing

@testable import Redis

@Suite struct RESPDecoderTests {
  private func decodeAll(_ text: String) throws -> [RESPValue] {
    var decoder = RESPDecoder()
    decoder.append(Array(text.utf8))
    var values: [RESPValue] = []
    while let value = try decoder.next() { values.append(value) }
    return values
  }

  @Test func decodesEveryRESP2Type() throws {
    let values = try decodeAll(
      "+OK\r\n-ERR wrong\r\n:-42\r\n$5\r\nhe\r\no\r\n$-1\r\n*2\r\n:1\r\n*1\r\n$0\r\n\r\n*-1\r\n")
    #expect(
      values == [
        .simpleString("OK"), .error("ERR wrong"), .integer(-42),
        .bulkString(Array("he\r\no".utf8)), .bulkString(nil),
        .array([.integer(1), .array([.bulkString([])])]), .array(nil),
      ])
  }

  @Test func valueSplitAtEveryByteIsReturnedOnceWhole() throws {
    let wire = Array("*3\r\n$3\r\nfoo\r\n:7\r\n+PONG\r\n".utf8)
    var decoder = RESPDecoder()
    var values: [RESPValue] = []
    for byte in wire {
      decoder.append([byte])
      while let value = try decoder.next() { values.append(value) }
    }
    #expect(
      values == [.array([.bulkString(Array("foo".utf8)), .integer(7), .simpleString("PONG")])])
    #expect(decoder.bufferedBytes == 0)
  }

  @Test(arguments: [
    ("?x\r\n", "unknown type byte"),
    ("$abc\r\n", "not an integer"),
    ("$-5\r\n", "bulk string length"),
    ("$3\r\nabcd\r\n", "not followed by CRLF"),
    ("*99999999999\r\n", "array length"),
    ("+OK\rX", "CR not followed by LF"),
  ])
  func malformedInputIsAClearError(wire: String, expected: String) {
    var decoder = RESPDecoder()
    decoder.append(Array(wire.utf8))
    #expect {
      _ = try decoder.next()
    } throws: { error in
      (error as? RESPDecodingError)?.message.contains(expected) == true
    }
  }

  @Test func limitsBoundWhatAPeerCanMakeUsHold() {
    var bulk = RESPDecoder(maxBulkBytes: 16)
    bulk.append(Array("$17\r\n".utf8))
    #expect(throws: RESPDecodingError.self) { _ = try bulk.next() }

    var deep = RESPDecoder(maxDepth: 3)
    deep.append(Array(String(repeating: "*1\r\n", count: 5).utf8))
    #expect(throws: RESPDecodingError.self) { _ = try deep.next() }

    var line = RESPDecoder(maxLineBytes: 8)
    line.append(Array("+0123456789".utf8))
    #expect(throws: RESPDecodingError.self) { _ = try line.next() }
  }

  /// Fuzz-style: random bytes and random cuts of valid replies never crash the decoder; each
  /// ends in values, a need for more bytes, or an error.
  @Test func arbitraryBytesNeverCrash() {
    // Seeded, so a failing input is the same on every run.
    var generator = SeededGenerator(seed: 0x5245_5350)
    let valid = Array("*2\r\n$3\r\nabc\r\n*1\r\n:12\r\n-ERR x\r\n+OK\r\n$-1\r\n".utf8)
    for round in 0..<2000 {
      var bytes: [UInt8]
      if round % 2 == 0 {
        bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
          "*$:+-\r\n0123-9ab".utf8.randomElement(using: &generator)!
        }
      } else {
        bytes = valid
        let index = Int.random(in: 0..<bytes.count, using: &generator)
        bytes[index] = UInt8.random(in: 0...255, using: &generator)
      }
      var decoder = RESPDecoder(maxBulkBytes: 64, maxElements: 64)
      decoder.append(bytes)
      while (try? decoder.next()).flatMap({ $0 }) != nil {}
    }
  }
}

/// SplitMix64: a seeded generator for reproducible random inputs.
private struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite struct RESPEncoderTests {
  @Test func commandIsAnArrayOfBulkStrings() {
    let wire = RESPEncoder.encode([Array("SET".utf8), Array("k".utf8), [0, 13, 10]])
    let expected = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\0\r\n\r\n"
    #expect(String(decoding: wire, as: UTF8.self) == expected)
  }

  @Test func encodedCommandDecodesBack() throws {
    var decoder = RESPDecoder()
    decoder.append(RESPEncoder.encode([Array("GET".utf8), []]))
    #expect(try decoder.next() == .array([.bulkString(Array("GET".utf8)), .bulkString([])]))
  }
}
