/// The `tracestate` header: an ordered list of vendor entries.
///
/// Implements [W3C Trace Context §3.3](https://www.w3.org/TR/trace-context/#tracestate-header):
/// at most 32 list members, keys `simple-key` or `tenant@system`, values of 1...256 printable
/// characters without `,` or `=` that do not end in a space, unique keys. An updated or added
/// entry moves to the front. On the way out the header is cut to 512 characters by whole
/// entries: entries longer than 128 characters go first, then entries from the end.
public struct TraceState: Sendable, Hashable {
  /// One `key=value` list member.
  public struct Entry: Sendable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
      self.key = key
      self.value = value
    }

    /// Length of `key=value` in bytes (all characters are ASCII).
    var length: Int { key.utf8.count + 1 + value.utf8.count }
  }

  /// The entries, front first.
  public private(set) var entries: [Entry]

  /// Most list members a header may carry.
  public static let maxMembers = 32
  /// Longest header we send.
  public static let maxHeaderLength = 512
  /// Entries longer than this are the first to go when truncating.
  public static let truncationThreshold = 128

  /// An empty list.
  public init() {
    entries = []
  }

  public var isEmpty: Bool { entries.isEmpty }

  /// The value for `key`, if present.
  public subscript(key: String) -> String? {
    entries.first { $0.key == key }?.value
  }

  /// Parses a `tracestate` header value (several headers joined with `,`). Empty list members
  /// and OWS around members are allowed; anything else invalid rejects the whole header.
  public static func parse(_ header: String) throws(TraceContextParseError) -> TraceState {
    var state = TraceState()
    var keys = Set<String>()
    for member in header.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
      var lo = member.startIndex
      var hi = member.endIndex
      while lo < hi, member[lo] == 0x20 || member[lo] == 0x09 { lo = member.index(after: lo) }
      while hi > lo, member[member.index(before: hi)] == 0x20
        || member[member.index(before: hi)] == 0x09
      {
        hi = member.index(before: hi)
      }
      let trimmed = member[lo..<hi]
      if trimmed.isEmpty { continue }
      guard let eq = trimmed.firstIndex(of: UInt8(ascii: "=")) else {
        throw TraceContextParseError(.invalidTraceStateMember)
      }
      let key = trimmed[trimmed.startIndex..<eq]
      let value = trimmed[trimmed.index(after: eq)...]
      guard isValidKey(key) else { throw TraceContextParseError(.invalidTraceStateKey) }
      guard isValidValue(value) else { throw TraceContextParseError(.invalidTraceStateValue) }
      let keyString = String(decoding: key, as: UTF8.self)
      guard keys.insert(keyString).inserted else {
        throw TraceContextParseError(.duplicateTraceStateKey)
      }
      guard state.entries.count < maxMembers else {
        throw TraceContextParseError(.tooManyTraceStateMembers)
      }
      state.entries.append(Entry(key: keyString, value: String(decoding: value, as: UTF8.self)))
    }
    return state
  }

  /// Sets `key` to `value` and moves the entry to the front (§3.3.1.3: a vendor's updated
  /// entry goes first). Drops the rightmost entry when the list would exceed 32 members.
  public mutating func set(
    _ key: String, _ value: String
  ) throws(TraceContextParseError) {
    guard Self.isValidKey(key.utf8) else { throw TraceContextParseError(.invalidTraceStateKey) }
    guard Self.isValidValue(value.utf8) else {
      throw TraceContextParseError(.invalidTraceStateValue)
    }
    entries.removeAll { $0.key == key }
    entries.insert(Entry(key: key, value: value), at: 0)
    if entries.count > Self.maxMembers { entries.removeLast() }
  }

  /// Removes the entry for `key`, if any.
  public mutating func removeValue(forKey key: String) {
    entries.removeAll { $0.key == key }
  }

  /// The header value to send, truncated to 512 characters by whole entries.
  public var headerValue: String {
    var kept = entries
    func total() -> Int { kept.reduce(0) { $0 + $1.length } + max(kept.count - 1, 0) }
    var length = total()
    while length > Self.maxHeaderLength,
      let big = kept.lastIndex(where: { $0.length > Self.truncationThreshold })
    {
      kept.remove(at: big)
      length = total()
    }
    while length > Self.maxHeaderLength {
      kept.removeLast()
      length = total()
    }
    return kept.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
  }

  // MARK: - Grammar

  /// `lcalpha / DIGIT / "_" / "-" / "*" / "/"`.
  private static func isKeyCharacter(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
      UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "/"):
      return true
    default: return false
    }
  }

  private static func isLowerAlpha(_ c: UInt8) -> Bool {
    c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")
  }

  private static func isDigit(_ c: UInt8) -> Bool {
    c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
  }

  /// `simple-key = lcalpha 0*255(keychar)` or
  /// `multi-tenant-key = (lcalpha / DIGIT) 0*240(keychar) "@" lcalpha 0*13(keychar)`.
  static func isValidKey<C: Collection<UInt8>>(_ key: C) -> Bool {
    let bytes = Array(key)
    if let at = bytes.firstIndex(of: UInt8(ascii: "@")) {
      let tenant = bytes[..<at]
      let system = bytes[(at + 1)...]
      guard (1...241).contains(tenant.count), (1...14).contains(system.count) else { return false }
      guard let t0 = tenant.first, isLowerAlpha(t0) || isDigit(t0) else { return false }
      guard let s0 = system.first, isLowerAlpha(s0) else { return false }
      return tenant.dropFirst().allSatisfy(isKeyCharacter)
        && system.dropFirst().allSatisfy(isKeyCharacter)
    }
    guard (1...256).contains(bytes.count), isLowerAlpha(bytes[0]) else { return false }
    return bytes.dropFirst().allSatisfy(isKeyCharacter)
  }

  /// `value = 0*255(chr) nblk-chr`, `nblk-chr = %x21-2B / %x2D-3C / %x3E-7E`, `chr = %x20 /
  /// nblk-chr`.
  static func isValidValue<C: Collection<UInt8>>(_ value: C) -> Bool {
    guard (1...256).contains(value.count) else { return false }
    var last: UInt8 = 0
    for c in value {
      guard c >= 0x20, c <= 0x7E, c != UInt8(ascii: ","), c != UInt8(ascii: "=") else {
        return false
      }
      last = c
    }
    return last != 0x20
  }
}
