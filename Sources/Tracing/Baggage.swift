import TextCoding

/// The `baggage` header, parsed so it can be passed on intact.
///
/// Implements [W3C Baggage §3](https://www.w3.org/TR/baggage/#header-content):
/// `list-member = key OWS "=" OWS value *( OWS ";" OWS property )`, keys are RFC 7230 tokens,
/// values are `baggage-octet`s (percent-encoded UTF-8). Invalid members are dropped; at most 180
/// members and 8192 bytes are kept, by whole members, as the limits section requires.
public struct Baggage: Sendable, Hashable {
  /// One list member, values kept in their encoded form so they re-emit unchanged.
  public struct Member: Sendable, Hashable {
    /// The key (an RFC 7230 token).
    public var key: String
    /// The value as sent (percent-encoded).
    public var encodedValue: String
    /// The properties as sent, each `key` or `key=value`, OWS removed.
    public var properties: [String]

    public init(key: String, encodedValue: String, properties: [String] = []) {
      self.key = key
      self.encodedValue = encodedValue
      self.properties = properties
    }

    /// The value, percent-decoded as UTF-8.
    public var value: String { PercentEncoding.decode(encodedValue) }

    /// `key=value;prop…`.
    var serialized: String {
      properties.isEmpty
        ? "\(key)=\(encodedValue)" : "\(key)=\(encodedValue);\(properties.joined(separator: ";"))"
    }
  }

  /// The members in header order.
  public private(set) var members: [Member]

  /// Most members a header may carry.
  public static let maxMembers = 180
  /// Longest header we send, in bytes.
  public static let maxHeaderBytes = 8192

  public init() {
    members = []
  }

  public var isEmpty: Bool { members.isEmpty }

  /// The decoded value for `key`, if present.
  public subscript(key: String) -> String? {
    members.first { $0.key == key }?.value
  }

  /// Parses a `baggage` header value (several headers joined with `,`), dropping invalid members
  /// and keeping whole members within the limits.
  public static func parse(_ header: String) -> Baggage {
    var baggage = Baggage()
    var bytes = 0
    for rawMember in header.split(separator: ",", omittingEmptySubsequences: true) {
      guard let member = parseMember(rawMember) else { continue }
      let size = member.serialized.utf8.count + (baggage.members.isEmpty ? 0 : 1)
      guard baggage.members.count < maxMembers, bytes + size <= maxHeaderBytes else { break }
      bytes += size
      baggage.members.append(member)
    }
    return baggage
  }

  /// Sets `key` to `value` (percent-encoding it), replacing an existing member, if the result
  /// stays within the limits. Returns false when the key is not a token or the limits forbid it.
  @discardableResult
  public mutating func set(_ key: String, _ value: String) -> Bool {
    guard Self.isToken(Substring(key)) else { return false }
    var next = self
    next.members.removeAll { $0.key == key }
    let encoded = PercentEncoding.encode(value, keeping: PercentEncoding.isBaggageOctet)
    next.members.append(Member(key: key, encodedValue: encoded))
    guard next.members.count <= Self.maxMembers,
      next.headerValue.utf8.count <= Self.maxHeaderBytes
    else { return false }
    self = next
    return true
  }

  /// The header value to send.
  public var headerValue: String {
    members.map(\.serialized).joined(separator: ",")
  }

  // MARK: - Grammar

  private static func trimmedRange(_ s: Substring) -> Range<Substring.Index> {
    var lo = s.startIndex
    var hi = s.endIndex
    while lo < hi, s[lo] == " " || s[lo] == "\t" { lo = s.index(after: lo) }
    while hi > lo, s[s.index(before: hi)] == " " || s[s.index(before: hi)] == "\t" {
      hi = s.index(before: hi)
    }
    return lo..<hi
  }

  private static func parseMember(_ raw: Substring) -> Member? {
    let parts = raw.split(separator: ";", omittingEmptySubsequences: false)
    guard let first = parts.first, let eq = first.firstIndex(of: "=") else { return nil }
    let key = first[trimmedRange(first[..<eq])]
    let valuePart = first[first.index(after: eq)...]
    let value = valuePart[trimmedRange(valuePart)]
    guard isToken(key), value.utf8.allSatisfy(isBaggageOctet) else { return nil }
    var properties: [String] = []
    for property in parts.dropFirst() {
      let trimmed = property[trimmedRange(property)]
      if let peq = trimmed.firstIndex(of: "=") {
        let pk = trimmed[trimmedRange(trimmed[..<peq])]
        let pvPart = trimmed[trimmed.index(after: peq)...]
        let pv = pvPart[trimmedRange(pvPart)]
        guard isToken(pk), pv.utf8.allSatisfy(isBaggageOctet) else { return nil }
        properties.append("\(pk)=\(pv)")
      } else {
        guard isToken(trimmed) else { return nil }
        properties.append(String(trimmed))
      }
    }
    return Member(key: String(key), encodedValue: String(value), properties: properties)
  }

  /// RFC 7230 `token = 1*tchar`.
  private static func isToken(_ s: Substring) -> Bool {
    !s.isEmpty
      && s.utf8.allSatisfy { c in
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
          UInt8(ascii: "0")...UInt8(ascii: "9"):
          return true
        default: return Array("!#$%&'*+-.^_`|~".utf8).contains(c)
        }
      }
  }

  /// `baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E`.
  private static func isBaggageOctet(_ c: UInt8) -> Bool {
    c == 0x21 || (0x23...0x2B).contains(c) || (0x2D...0x3A).contains(c)
      || (0x3C...0x5B).contains(c) || (0x5D...0x7E).contains(c)
  }
}
