import Testing

@testable import GRPC

@Suite struct GRPCMessageDeframerTests {
  static func frame(_ payload: [UInt8], flags: UInt8 = 0) -> [UInt8] {
    let length = UInt32(payload.count)
    return [
      flags, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF),
      UInt8(length & 0xFF),
    ] + payload
  }

  static let messages: [[UInt8]] = [Array("first".utf8), [], Array(repeating: 0xAB, count: 300)]
  static let wire = messages.flatMap { frame($0) }

  func deframe(_ chunks: [[UInt8]], max: Int = 1 << 20) throws(GRPCStatus) -> [[UInt8]] {
    var deframer = GRPCMessageDeframer(maxMessageSize: max)
    var out: [[UInt8]] = []
    for chunk in chunks {
      let failure = chunk.withUnsafeBytes { bytes -> GRPCStatus? in
        do throws(GRPCStatus) {
          try deframer.process(bytes, into: &out)
          return nil
        } catch {
          return error
        }
      }
      if let failure { throw failure }
    }
    #expect(deframer.isAtMessageBoundary)
    return out
  }

  @Test func everySingleSplitPoint_yieldsTheSameMessages() throws {
    for split in 0...Self.wire.count {
      let chunks = [Array(Self.wire[..<split]), Array(Self.wire[split...])]
      #expect(try deframe(chunks) == Self.messages, "split at \(split)")
    }
  }

  @Test func everyPairOfSplitPoints_yieldsTheSameMessages() throws {
    let wire = Self.messages.prefix(2).flatMap { Self.frame($0) } + Self.frame([1, 2, 3])
    let expected = Array(Self.messages.prefix(2)) + [[1, 2, 3]]
    for first in 0...wire.count {
      for second in first...wire.count {
        let chunks = [Array(wire[..<first]), Array(wire[first..<second]), Array(wire[second...])]
        #expect(try deframe(chunks) == expected, "splits at \(first), \(second)")
      }
    }
  }

  @Test func oneByteAtATime_yieldsTheSameMessages() throws {
    #expect(try deframe(Self.wire.map { [$0] }) == Self.messages)
  }

  @Test func partialMessage_isNotAtBoundary() throws {
    var deframer = GRPCMessageDeframer(maxMessageSize: 100)
    var out: [[UInt8]] = []
    try Array(Self.frame([1, 2, 3]).prefix(6)).withUnsafeBytes { bytes in
      try deframer.process(bytes, into: &out)
    }
    #expect(out.isEmpty)
    #expect(!deframer.isAtMessageBoundary)
  }

  @Test func lengthAboveMaximum_failsWithResourceExhausted_beforeThePayloadArrives() {
    let prefixOnly = Array(Self.frame(Array(repeating: 0, count: 11)).prefix(5))
    do {
      _ = try deframe([prefixOnly], max: 10)
      Issue.record("an oversized length was accepted")
    } catch {
      #expect(error.code == .resourceExhausted)
    }
  }

  @Test func lengthAtMaximum_isAccepted() throws {
    #expect(try deframe([Self.frame(Array(repeating: 7, count: 10))], max: 10).count == 1)
  }

  @Test func compressedFlag_failsWithInternal() {
    do {
      _ = try deframe([Self.frame([1], flags: 1)])
      Issue.record("a compressed message was accepted")
    } catch {
      #expect(error.code == .internal)
    }
  }
}
