import Testing

@testable import GRPC

@Suite struct GRPCPercentEncodingTests {
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
    #expect(GRPCPercentEncoding.encode(text) == encoded)
    #expect(GRPCPercentEncoding.decode(encoded) == text)
  }

  @Test func encode_leavesEveryPrintableASCIIByteButPercentAlone() {
    let printable = String(decoding: (0x20...0x7E).map { UInt8($0) }, as: UTF8.self)
    #expect(GRPCPercentEncoding.encode(printable) == printable.replacingPercent())
  }

  @Test(arguments: [
    ("%", "%"), ("%4", "%4"), ("%zz", "%zz"), ("a%41b", "aAb"), ("%e2%9c%93", "\u{2713}"),
  ])
  func decode_keepsMalformedSequences(encoded: String, decoded: String) {
    #expect(GRPCPercentEncoding.decode(encoded) == decoded)
  }
}

extension String {
  fileprivate func replacingPercent() -> String {
    var result = ""
    for character in self { result += character == "%" ? "%25" : String(character) }
    return result
  }
}
