/// A kind of personal data or secret the PII guard detects; the raw value is its name in
/// `guards.pii.types`, in span attributes and in metric labels.
public enum PIIType: String, Sendable, CaseIterable, Comparable {
  case email
  case phone
  case card
  case iban
  case ssn
  case ip
  case secret

  /// What a redacted value is replaced with in the body sent upstream.
  public var placeholder: String {
    switch self {
    case .email: "[EMAIL]"
    case .phone: "[PHONE]"
    case .card: "[CARD]"
    case .iban: "[IBAN]"
    case .ssn: "[SSN]"
    case .ip: "[IP]"
    case .secret: "[SECRET]"
    }
  }

  /// The type's position in declaration order (its bit in `PIITypeSet`).
  var ordinal: UInt8 {
    switch self {
    case .email: 0
    case .phone: 1
    case .card: 2
    case .iban: 3
    case .ssn: 4
    case .ip: 5
    case .secret: 6
    }
  }

  public static func < (lhs: PIIType, rhs: PIIType) -> Bool {
    lhs.ordinal < rhs.ordinal
  }
}

/// A set of PII types, as a bit set (cheap to test on the scan's hot path).
public struct PIITypeSet: Sendable, Equatable, Hashable {
  private var bits: UInt8

  public init<S: Sequence>(_ types: S) where S.Element == PIIType {
    bits = 0
    for type in types { insert(type) }
  }

  /// Every type.
  public static var all: PIITypeSet { PIITypeSet(PIIType.allCases) }

  public var isEmpty: Bool { bits == 0 }

  @inline(__always)
  public func contains(_ type: PIIType) -> Bool {
    bits & Self.bit(type) != 0
  }

  public mutating func insert(_ type: PIIType) {
    bits |= Self.bit(type)
  }

  /// The types in the set, in declaration order.
  public var types: [PIIType] { PIIType.allCases.filter(contains) }

  @inline(__always)
  private static func bit(_ type: PIIType) -> UInt8 {
    1 << type.ordinal
  }
}

/// One detected value: its type and its UTF-8 byte range in the scanned text.
public struct PIIMatch: Sendable, Equatable {
  public var type: PIIType
  public var range: Range<Int>

  public init(type: PIIType, range: Range<Int>) {
    self.type = type
    self.range = range
  }
}
