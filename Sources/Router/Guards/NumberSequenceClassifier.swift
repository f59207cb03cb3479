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
    var digits = DigitRun()
    // Digit group lengths, and the first byte of each run of separators between groups.
    var groups = SIMD16<UInt8>()
    var separators = SIMD16<UInt8>()
    var groupCount = 0
    var current: UInt8 = 0
    var separatorKind: UInt8 = 0
    let leadingPlus = bytes.first == UInt8(ascii: "+")
    for byte in bytes {
      if byte &- 48 < 10 {
        if current == 0, groupCount > 0 {
          separators[groupCount - 1] = separatorKind
          separatorKind = 0
        }
        guard digits.append(byte &- 48), current < 32 else { return nil }
        current += 1
      } else {
        if byte == UInt8(ascii: "/") { return nil }  // dates and fractions
        if current > 0 {
          guard groupCount < 15 else { return nil }
          groups[groupCount] = current
          groupCount += 1
          current = 0
        }
        // `(` and `)` count as one kind of separator with the spaces that follow them.
        if groupCount > 0, separatorKind != UInt8(ascii: ")"), byte != UInt8(ascii: "(") {
          separatorKind = byte
        }
      }
    }
    if current > 0 {
      groups[groupCount] = current
      groupCount += 1
    }
    guard groupCount > 0, digits.count >= 8, digits.count <= 19 else { return nil }
    let shape = Shape(groups: groups, separators: separators, count: groupCount)
    if shape.isDate { return nil }

    if types.contains(.ssn), shape.is(3, 2, 4), shape.separatorsAreOne,
      shape.separators[0] == UInt8(ascii: "-") || shape.separators[0] == UInt8(ascii: " "),
      isSocialSecurityNumber(digits)
    {
      return .ssn
    }
    if types.contains(.card), (13...19).contains(digits.count), !leadingPlus,
      shape.separatorsAreOne,
      shape.groupCount == 1 || shape.separators[0] == UInt8(ascii: " ")
        || shape.separators[0] == UInt8(ascii: "-"),
      shape.allGroupsAtLeast(3), PaymentCardValidator.isCardNumber(digits)
    {
      return .card
    }
    if types.contains(.phone), isPhoneNumber(digits, shape, leadingPlus) {
      return .phone
    }
    return nil
  }

  /// The digit groups of a number and the separators between them.
  struct Shape {
    var groups: SIMD16<UInt8>
    var separators: SIMD16<UInt8>
    var groupCount: Int

    init(groups: SIMD16<UInt8>, separators: SIMD16<UInt8>, count: Int) {
      self.groups = groups
      self.separators = separators
      self.groupCount = count
    }

    func `is`(_ first: UInt8, _ second: UInt8) -> Bool {
      groupCount == 2 && groups[0] == first && groups[1] == second
    }

    func `is`(_ first: UInt8, _ second: UInt8, _ third: UInt8) -> Bool {
      groupCount == 3 && groups[0] == first && groups[1] == second && groups[2] == third
    }

    func `is`(_ first: UInt8, _ second: UInt8, _ third: UInt8, _ fourth: UInt8) -> Bool {
      groupCount == 4 && groups[0] == first && groups[1] == second && groups[2] == third
        && groups[3] == fourth
    }

    func allGroupsAtLeast(_ length: UInt8) -> Bool {
      (0..<groupCount).allSatisfy { groups[$0] >= length }
    }

    /// Every separator is the same byte (also true with one group).
    var separatorsAreOne: Bool { separatorsAreOne(from: 0) }

    func separatorsAreOne(from first: Int) -> Bool {
      guard groupCount - 1 > first else { return true }
      return (first..<(groupCount - 1)).allSatisfy { separators[$0] == separators[first] }
    }

    /// Year-month-day and day-month-year shapes (`2024-05-12`, `12.05.2024`, `1-2-2024`).
    var isDate: Bool {
      guard groupCount == 3 || groupCount == 6 else { return false }
      let yearFirst = groups[0] == 4 && groups[1] <= 2 && groups[2] <= 2
      let yearLast = groups[0] <= 2 && groups[1] <= 2 && groups[2] == 4
      return yearFirst || yearLast
    }
  }

  /// US SSN rules: area not 000, 666 or 900-999; group not 00; serial not 0000.
  static func isSocialSecurityNumber(_ digits: DigitRun) -> Bool {
    let area = digits.prefixValue(3)
    let group = Int(digits[3]) * 10 + Int(digits[4])
    let serial = (5..<9).reduce(0) { $0 * 10 + Int(digits[$1]) }
    return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
  }

  /// E.164 (`+` and 8-15 digits), North American (`(555) 123-4567`, `555-123-4567`,
  /// `1 555 123 4567`) and national numbers with a trunk prefix 0 (`020 7946 0958`,
  /// `06 12 34 56 78`).
  private static func isPhoneNumber(_ digits: DigitRun, _ shape: Shape, _ leadingPlus: Bool)
    -> Bool
  {
    let dotted = (0..<max(shape.groupCount - 1, 0)).contains {
      shape.separators[$0] == UInt8(ascii: ".")
    }
    if leadingPlus {
      return (8...15).contains(digits.count) && digits[0] != 0
        && (!dotted || shape.separatorsAreOne)
    }
    // After the area code, one kind of separator: `(555) 123-4567`, `555.123.4567`.
    let consistent = shape.separatorsAreOne(from: 1)
    if shape.is(3, 3, 4) || shape.is(3, 7) {
      return digits[0] >= 2 && consistent
    }
    if shape.is(1, 3, 3, 4) {
      return digits[0] == 1 && digits[1] >= 2 && consistent
    }
    // A dotted run of few groups is a version or an amount, never a phone here.
    return digits[0] == 0 && (10...11).contains(digits.count) && shape.groupCount >= 2
      && shape.groupCount <= 5 && shape.allGroupsAtLeast(2) && shape.separatorsAreOne
      && (!dotted || shape.groupCount >= 4)
  }
}
