/// Payment card number checks: the Luhn checksum (ISO/IEC 7812-1 Annex B) and whether the
/// issuer identification number and length belong to a card scheme in use.
enum PaymentCardValidator {
  /// Whether `digits` pass the Luhn check.
  static func passesLuhn(_ digits: DigitRun) -> Bool {
    var sum = 0
    var double = false
    for index in stride(from: digits.count - 1, through: 0, by: -1) {
      var value = Int(digits[index])
      if double {
        value *= 2
        if value > 9 { value -= 9 }
      }
      sum += value
      double.toggle()
    }
    return sum % 10 == 0
  }

  /// Whether a card number of these digits is plausible: a known scheme's prefix and length
  /// (Visa, Mastercard, American Express, Discover, JCB, Diners Club, UnionPay, Maestro, Mir)
  /// and a valid Luhn check digit.
  static func isCardNumber(_ digits: DigitRun) -> Bool {
    let length = digits.count
    guard (13...19).contains(length), plausiblePrefix(digits, length: length) else {
      return false
    }
    return passesLuhn(digits)
  }

  private static func plausiblePrefix(_ digits: DigitRun, length: Int) -> Bool {
    func prefix(_ count: Int) -> Int { digits.prefixValue(count) }
    switch digits[0] {
    case 4:  // Visa
      return length == 13 || length == 16 || length == 19
    case 5:  // Mastercard 51-55; Maestro 50, 56-59
      let two = prefix(2)
      return (51...55).contains(two) ? length == 16 : length >= 13
    case 2:  // Mastercard 2221-2720; Mir 2200-2204
      let four = prefix(4)
      return ((2221...2720).contains(four) && length == 16)
        || ((2200...2204).contains(four) && length >= 16)
    case 3:  // Amex 34, 37; JCB 3528-3589; Diners 300-305, 36, 38, 39
      let two = prefix(2)
      if two == 34 || two == 37 { return length == 15 }
      if (3528...3589).contains(prefix(4)) { return length >= 16 }
      if (300...305).contains(prefix(3)) || two == 36 || two == 38 || two == 39 {
        return length >= 14
      }
      return false
    case 6:  // Discover 6011, 644-649, 65; UnionPay 62; Maestro 6x
      return length >= 16 || length == 13 || length == 15
    default:
      return false
    }
  }
}
