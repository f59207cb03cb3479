import Testing

@testable import TextCoding

@Suite struct JSONStringTests {
  @Test(arguments: [
    ("", #""""#),
    ("plain text", #""plain text""#),
    ("say \"hi\"", #""say \"hi\"""#),
    (#"back\slash"#, #""back\\slash""#),
    ("line\nreturn\rtab\t", #""line\nreturn\rtab\t""#),
    ("\u{0}\u{1}\u{8}\u{C}\u{1F}", #""\u0000\u0001\u0008\u000c\u001f""#),
    ("\u{7F} del and / slash stay", "\"\u{7F} del and / slash stay\""),
    ("caf\u{E9} \u{2713} \u{1F600}", "\"caf\u{E9} \u{2713} \u{1F600}\""),
    ("\"\\\n", #""\"\\\n""#),
    ("a\u{1}\n\t", #""a\u0001\n\t""#),
  ])
  func quoted_escapesQuoteBackslashAndControlsOnly(text: String, literal: String) {
    #expect(JSONString.quoted(text) == literal)
    var bytes: [UInt8] = [UInt8(ascii: "[")]
    JSONString.append(text, to: &bytes)
    #expect(bytes == [UInt8(ascii: "[")] + Array(literal.utf8))
  }

  @Test func quoted_keepsNonASCIIAsUTF8Bytes() {
    #expect(Array(JSONString.quoted("\u{E9}").utf8) == [0x22, 0xC3, 0xA9, 0x22])
  }

  @Test func quoted_ofTextMadeFromInvalidUTF8_writesTheReplacementCharacter() {
    let text = String(decoding: [0x61, 0xFF, 0x62], as: UTF8.self)
    #expect(JSONString.quoted(text) == "\"a\u{FFFD}b\"")
  }

  @Test func quoted_escapesEveryControlCharacterAndNothingAboveThem() {
    for value in 0..<0x80 {
      let text = String(UnicodeScalar(UInt8(value)))
      let literal = JSONString.quoted(text)
      // Quotes around one byte, a short escape (`\n`) or a `\u00xx` one.
      let expected =
        switch value {
        case 0x09, 0x0A, 0x0D, 0x22, 0x5C: 4
        case 0..<0x20: 8
        default: 3
        }
      #expect(literal.utf8.count == expected, "byte \(value)")
    }
  }

  @Test func quoted_ofALongRun_copiesItWhole() {
    let text = String(repeating: "abcdefgh", count: 100) + "\n" + String(repeating: "z", count: 9)
    #expect(JSONString.quoted(text) == "\"" + text.replacingOccurrencesOfNewline() + "\"")
  }
}

extension String {
  fileprivate func replacingOccurrencesOfNewline() -> String {
    var result = ""
    for character in self { result += character == "\n" ? "\\n" : String(character) }
    return result
  }
}
