import Testing

@testable import Tracing

@Suite("traceparent (W3C Trace Context §3.2, §4.3)")
struct TraceParentTests {
  static let valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

  @Test func parse_validVersion00_readsAllFields() throws {
    let parsed = try TraceParent.parse(Self.valid)
    #expect(parsed.traceID == TraceID(high: 0x0af7_6519_16cd_43dd, low: 0x8448_eb21_1c80_319c))
    #expect(parsed.parentID == SpanID(0xb7ad_6b71_6920_3331))
    #expect(parsed.flags == .sampled)
    #expect(parsed.headerValue == Self.valid)
  }

  @Test func parse_flags03FromOpenAIInstrumentation_keepsSampledAndRandom() throws {
    let header = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03"
    let parsed = try TraceParent.parse(header)
    #expect(parsed.flags == [.sampled, .random])
    #expect(parsed.headerValue == header)
  }

  @Test func parse_surroundingOWS_isIgnored() throws {
    let parsed = try TraceParent.parse(" \t\(Self.valid)\t ")
    #expect(parsed.headerValue == Self.valid)
  }

  @Test func format_unknownFlagBits_areCleared() {
    let parent = TraceParent(
      traceID: TraceID(high: 1, low: 2), parentID: SpanID(3), flags: TraceFlags(rawValue: 0xFF))
    #expect(parent.headerValue == "00-00000000000000010000000000000002-0000000000000003-03")
  }

  @Test(
    arguments: [
      ("", TraceContextParseError.Reason.invalidLength),
      ("0", .invalidLength),
      ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0", .invalidLength),
      ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-011", .invalidLength),
      ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-", .invalidLength),
      ("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", .invalidCharacter),
      ("00-0af7651916cd43dd8448eb211c80319c-B7AD6B7169203331-01", .invalidCharacter),
      ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0X", .invalidCharacter),
      ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333g-01", .invalidCharacter),
      ("00-00000000000000000000000000000000-b7ad6b7169203331-01", .zeroTraceID),
      ("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", .zeroSpanID),
      ("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", .invalidVersion),
      ("0G-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", .invalidVersion),
      ("FF-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", .invalidVersion),
      ("00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", .invalidDelimiter),
      ("00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01", .invalidDelimiter),
      ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331_01", .invalidDelimiter),
      ("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x", .invalidLength),
      ("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331", .invalidLength),
    ])
  func parse_invalid_isRejectedWithReason(header: String, reason: TraceContextParseError.Reason) {
    #expect(throws: TraceContextParseError(reason)) { try TraceParent.parse(header) }
  }

  @Test func parse_futureVersionWithExtraFields_isParsedByPosition() throws {
    let parsed = try TraceParent.parse(
      "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-holds")
    #expect(parsed.traceID.hexString == "0af7651916cd43dd8448eb211c80319c")
    #expect(parsed.parentID.hexString == "b7ad6b7169203331")
    #expect(parsed.flags == .sampled)
  }

  @Test func parse_futureVersionExactLength_isAccepted() throws {
    let parsed = try TraceParent.parse(
      "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")
    #expect(parsed.flags.isEmpty)
    // We always answer with version 00.
    #expect(parsed.headerValue.hasPrefix("00-"))
  }

  @Test func ids_roundTripThroughBytesAndHex() {
    let id = TraceID(high: 0x0102_0304_0506_0708, low: 0x090a_0b0c_0d0e_0f10)
    #expect(id.bytes == Array(1...16))
    #expect(TraceID(bytes: id.bytes) == id)
    #expect(TraceID(bytes: [1, 2, 3]) == nil)
    let span = SpanID(0x0102_0304_0506_0708)
    #expect(span.bytes == Array(1...8))
    #expect(SpanID(bytes: span.bytes) == span)
    #expect(span.hexString == "0102030405060708")
  }
}
