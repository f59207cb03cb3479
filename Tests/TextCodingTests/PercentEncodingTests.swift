import Testing

@testable import TextCoding

@Suite struct PercentEncodingTests {
  private static func grpcMessage(_ text: String) -> String {
    PercentEncoding.encode(text, keeping: PercentEncoding.isGRPCMessageOctet)
  }

  private static func baggageValue(_ text: String) -> String {
    PercentEncoding.encode(text, keeping: PercentEncoding.isBaggageOctet)
  }

  @Test(arguments: [
    ("plain ASCII text ~!", "plain ASCII text ~!"),
    ("100%", "100%25"),
    ("line\nbreak\ttab", "line%0Abreak%09tab"),
    ("caf\u{E9}", "caf%C3%A9"),
    ("\u{2713}", "%E2%9C%93"),
    ("\u{7F}del", "%7Fdel"),
    ("", ""),
  ])
  func encode_escapesBytesOutsidePrintableASCIIAndPercent(text: String, encoded: String) {
    #expect(Self.grpcMessage(text) == encoded)
    #expect(PercentEncoding.decode(encoded) == text)
  }

  @Test func encode_leavesEveryPrintableASCIIByteButPercentAlone() {
    let printable = String(decoding: (0x20...0x7E).map { UInt8($0) }, as: UTF8.self)
    #expect(Self.grpcMessage(printable) == printable.replacingPercent())
  }

  @Test(arguments: [
    ("%", "%"), ("%4", "%4"), ("%zz", "%zz"), ("a%41b", "aAb"), ("%e2%9c%93", "\u{2713}"),
  ])
  func decode_keepsMalformedSequences(encoded: String, decoded: String) {
    #expect(PercentEncoding.decode(encoded) == decoded)
  }

  @Test(arguments: [
    ("DF 28", "DF%2028"),
    ("a\"b,c;d\\e", "a%22b%2Cc%3Bd%5Ce"),
    ("50%", "50%25"),
    ("caf\u{E9}", "caf%C3%A9"),
    ("!#$&'()*+-./:<=>?@[]^_`{|}~", "!#$&'()*+-./:<=>?@[]^_`{|}~"),
  ])
  func encodeBaggage_escapesWhatBaggageOctetLeavesOut(text: String, encoded: String) {
    #expect(Self.baggageValue(text) == encoded)
    #expect(PercentEncoding.decode(encoded) == text)
  }

  @Test func decode_ofASubstring_readsOnlyThatPart() {
    let text = "k=a%20b,rest"
    let value = text.dropFirst(2).prefix(5)
    #expect(PercentEncoding.decode(value) == "a b")
  }

  @Test func decode_ofBytesThatAreNotUTF8_givesReplacementCharacters() {
    #expect(PercentEncoding.decode("a%FFb") == "a\u{FFFD}b")
  }
}

extension String {
  fileprivate func replacingPercent() -> String {
    var result = ""
    for character in self { result += character == "%" ? "%25" : String(character) }
    return result
  }
}
