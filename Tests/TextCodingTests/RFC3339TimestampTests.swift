import Testing

@testable import TextCoding

@Suite struct RFC3339TimestampTests {
  @Test(arguments: [
    (0, 0, "1970-01-01T00:00:00.000Z"),
    (1_796_618_100, 7, "2026-12-07T04:35:00.007Z"),
    (951_782_400, 999, "2000-02-29T00:00:00.999Z"),
  ])
  func format_isUTCWithMilliseconds(seconds: Int, milliseconds: Int, expected: String) {
    #expect(RFC3339Timestamp.format(seconds: seconds, milliseconds: milliseconds) == expected)
  }

  @Test func now_hasTheShapeOfAnRFC3339UTCTime() {
    let text = RFC3339Timestamp.now()
    #expect(text.count == 24)
    #expect(text.hasSuffix("Z"))
    #expect(Array(text)[10] == "T")
  }
}
