import Testing

@testable import GRPC

@Suite struct GRPCTimeoutTests {
  @Test(arguments: [
    ("1H", UInt64(3_600_000_000_000)), ("2M", 120_000_000_000), ("3S", 3_000_000_000),
    ("250m", 250_000_000), ("7u", 7_000), ("99n", 99), ("0S", 0), ("00000001m", 1_000_000),
    ("99999999n", 99_999_999),
  ])
  func parse_eachUnit(text: String, nanoseconds: UInt64) {
    #expect(GRPCTimeout.parseNanoseconds(text) == nanoseconds)
  }

  @Test func parse_hugeHours_saturatesInsteadOfOverflowing() {
    #expect(GRPCTimeout.parseNanoseconds("99999999H") == .max)
  }

  @Test(arguments: ["", "S", "10", "123456789S", "10s", "1.5S", "-1S", " 1S", "1 S", "1SS"])
  func parse_rejectsMalformed(text: String) {
    #expect(GRPCTimeout.parseNanoseconds(text) == nil)
  }

  @Test(arguments: [
    (UInt64(0), "0n"), (999, "999n"), (100_000_000, "100000u"),
    (30_000_000_000, "30000000u"), (300_000_000_000, "300000m"), (1, "1n"),
  ])
  func format_usesAtMostEightDigits_andRoundTrips(nanoseconds: UInt64, expected: String) {
    let text = GRPCTimeout.format(nanoseconds: nanoseconds)
    #expect(text == expected)
    #expect(GRPCTimeout.parseNanoseconds(text) == nanoseconds)
  }

  @Test func format_roundsUpSoADeadlineIsNeverShortened() {
    let text = GRPCTimeout.format(nanoseconds: 123_456_789_123)
    #expect(text == "123457m")
  }
}
