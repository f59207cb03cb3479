/// International Bank Account Number checks (ISO 13616): the country's length and the
/// mod-97 check digits.
enum IBANValidator {
  /// IBAN length by country code, from the SWIFT IBAN registry.
  static let lengths: [String: Int] = [
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
  ]

  /// The registered IBAN length for the country code in the first two bytes, if any.
  static func length(country first: UInt8, _ second: UInt8) -> Int? {
    lengths[String(decoding: [first, second], as: UTF8.self)]
  }

  /// Whether `characters` (upper-case letters and digits, no spaces) form a valid IBAN.
  static func isValid(_ characters: [UInt8]) -> Bool {
    guard characters.count >= 15,
      length(country: characters[0], characters[1]) == characters.count
    else { return false }
    // Move the country code and check digits to the end; letters count as 10...35.
    var remainder = 0
    for byte in characters[4...] + characters[..<4] {
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"):
        remainder = (remainder * 10 + Int(byte - 48)) % 97
      case UInt8(ascii: "A")...UInt8(ascii: "Z"):
        remainder = (remainder * 100 + Int(byte - 55)) % 97
      default:
        return false
      }
    }
    return remainder == 1
  }
}
