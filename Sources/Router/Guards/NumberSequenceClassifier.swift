/// Decides what a run of digits and separators written in text is: a payment card number, a
/// US social security number, a phone number, or none of them (a date, a version, an amount,
/// an order number...).
///
/// The run is read as digit groups and the separators between them; each type has its own
/// shapes and checks, so a number is reported only when it is one with some certainty.
enum NumberSequenceClassifier {
  /// The type of the number written in `bytes` (digits, spaces, `-`, `.`, `(`, `)`, `+`), if
  /// it is one the PII guard detects.
  static func classify(_ bytes: UnsafeBufferPointer<UInt8>, types: PIITypeSet) -> PIIType? {
    var digits: [UInt8] = []
    digits.reserveCapacity(20)
    var groups: [Int] = []
    var separators: [UInt8] = []  // the first byte of each run of separators between groups
    var separatorRun: [UInt8] = []
    var current = 0
    let leadingPlus = bytes.first == UInt8(ascii: "+")
    for byte in bytes {
      if byte &- 48 < 10 {
        if current == 0, !groups.isEmpty {
          separators.append(Self.separatorKind(separatorRun))
          separatorRun.removeAll(keepingCapacity: true)
        }
        digits.append(byte &- 48)
        current += 1
      } else {
        if byte == UInt8(ascii: "/") { return nil }  // dates and fractions
        if current > 0 {
          groups.append(current)
          current = 0
        }
        if !groups.isEmpty { separatorRun.append(byte) }
      }
    }
    if current > 0 { groups.append(current) }
    guard !groups.isEmpty, digits.count >= 8 else { return nil }
    if isDateShaped(groups, separators) { return nil }

    if types.contains(.ssn), groups == [3, 2, 4], Set(separators).count == 1,
      separators[0] == UInt8(ascii: "-") || separators[0] == UInt8(ascii: " "),
      isSocialSecurityNumber(digits)
    {
      return .ssn
    }
    if types.contains(.card), (13...19).contains(digits.count),
      separators.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "-") }),
      Set(separators).count <= 1, groups.allSatisfy({ $0 >= 3 }), !leadingPlus,
      PaymentCardValidator.isCardNumber(digits[...])
    {
      return .card
    }
    if types.contains(.phone), isPhoneNumber(digits, groups, separators, leadingPlus) {
      return .phone
    }
    return nil
  }

  /// US SSN rules: area not 000, 666 or 900-999; group not 00; serial not 0000.
  static func isSocialSecurityNumber(_ digits: [UInt8]) -> Bool {
    let area = Int(digits[0]) * 100 + Int(digits[1]) * 10 + Int(digits[2])
    let group = Int(digits[3]) * 10 + Int(digits[4])
    let serial = digits[5...].reduce(0) { $0 * 10 + Int($1) }
    return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
  }

  /// E.164 (`+` and 8-15 digits), North American (`(555) 123-4567`, `555-123-4567`,
  /// `1 555 123 4567`) and national numbers with a trunk prefix 0 (`020 7946 0958`,
  /// `06 12 34 56 78`).
  private static func isPhoneNumber(
    _ digits: [UInt8], _ groups: [Int], _ separators: [UInt8], _ leadingPlus: Bool
  ) -> Bool {
    if leadingPlus {
      return (8...15).contains(digits.count) && digits[0] != 0
        && separators.allSatisfy { $0 != UInt8(ascii: ".") || Set(separators).count == 1 }
    }
    // A dotted run of few groups is a version or an amount, never a phone here.
    let consistent = Set(separators.dropFirst()).count <= 1
    if groups == [3, 3, 4] || groups == [3, 7] {
      return digits[0] >= 2 && consistent
    }
    if groups == [1, 3, 3, 4] {
      return digits[0] == 1 && digits[1] >= 2 && consistent
    }
    if digits[0] == 0, (10...11).contains(digits.count), groups.count >= 2, groups.count <= 5,
      groups.allSatisfy({ $0 >= 2 }), Set(separators).count == 1,
      separators[0] != UInt8(ascii: ".") || groups.count >= 4
    {
      return true
    }
    return false
  }

  /// Year-month-day and day-month-year shapes (`2024-05-12`, `12.05.2024`, `1-2-2024`).
  private static func isDateShaped(_ groups: [Int], _ separators: [UInt8]) -> Bool {
    guard groups.count == 3 || groups.count == 6 else { return false }
    let first = Array(groups.prefix(3))
    let yearFirst = first[0] == 4 && first[1] <= 2 && first[2] <= 2
    let yearLast = first[0] <= 2 && first[1] <= 2 && first[2] == 4
    return yearFirst || yearLast
  }

  /// `(` and `)` count as one kind of separator with the spaces that follow them.
  private static func separatorKind(_ run: [UInt8]) -> UInt8 {
    if run.contains(UInt8(ascii: ")")) { return UInt8(ascii: ")") }
    return run.first(where: { $0 != UInt8(ascii: "(") }) ?? UInt8(ascii: "(")
  }
}
