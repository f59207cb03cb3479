import Testing

@testable import TextCoding

@Suite struct HexDigitTests {
  @Test func value_readsDigitsOfEitherCase() {
    for (index, digit) in HexDigit.lowerCase.enumerated() {
      #expect(HexDigit.value(digit) == UInt8(index))
    }
    for (index, digit) in HexDigit.upperCase.enumerated() {
      #expect(HexDigit.value(digit) == UInt8(index))
    }
  }

  @Test(arguments: ["g", "G", "/", ":", "@", "`", " ", "\u{0}"])
  func value_ofANonDigit_isNil(character: Character) {
    #expect(HexDigit.value(character.asciiValue!) == nil)
  }
}
