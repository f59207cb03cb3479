/// An ordered list of HTTP header fields as Envoy forwards them over ext_proc.
///
/// Names are lower-case (Envoy sends them that way; names given to this type are lower-cased on
/// the way in) and pseudo-headers such as `:path`, `:method`, `:authority` and `:status` are
/// included. Values are decoded once from the wire's `raw_value` bytes as UTF-8 (invalid bytes
/// become U+FFFD). The same type carries trailers and the gRPC stream's request metadata.
public struct HTTPHeaders: Sendable, Equatable, RandomAccessCollection,
  ExpressibleByDictionaryLiteral
{
  /// One header field.
  public struct Field: Sendable, Equatable {
    /// The lower-case field name.
    public var name: String
    /// The field value.
    public var value: String

    public init(name: String, value: String) {
      self.name = name
      self.value = value
    }
  }

  /// The fields in wire order; a name may repeat.
  public private(set) var fields: [Field]

  /// An empty header list.
  public init() {
    self.fields = []
  }

  /// Headers from `(name, value)` pairs in order; names are lower-cased.
  public init(_ pairs: some Sequence<(String, String)>) {
    self.fields = pairs.map { Field(name: HTTPHeaders.lowercased($0.0), value: $0.1) }
  }

  public init(dictionaryLiteral elements: (String, String)...) {
    self.init(elements)
  }

  /// Fields already known to carry lower-case names (the decoder's fast path).
  init(lowercasedFields: [Field]) {
    self.fields = lowercasedFields
  }

  // MARK: - Lookup

  /// The first value of the field `name` (matched case-insensitively), or nil.
  public subscript(name: String) -> String? {
    let key = HTTPHeaders.lowercased(name)
    for field in fields where field.name == key {
      return field.value
    }
    return nil
  }

  /// Every value of the field `name` (matched case-insensitively), in order.
  public func values(for name: String) -> [String] {
    let key = HTTPHeaders.lowercased(name)
    return fields.lazy.filter { $0.name == key }.map(\.value)
  }

  /// Whether a field `name` is present (matched case-insensitively).
  public func contains(_ name: String) -> Bool {
    self[name] != nil
  }

  /// Appends a field; the name is lower-cased.
  public mutating func append(name: String, value: String) {
    fields.append(Field(name: HTTPHeaders.lowercased(name), value: value))
  }

  // MARK: - Collection

  public var startIndex: Int { fields.startIndex }
  public var endIndex: Int { fields.endIndex }
  public subscript(position: Int) -> Field { fields[position] }

  /// `name` in lower case, without allocating when it already is (the usual case).
  static func lowercased(_ name: String) -> String {
    if name.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) {
      return name.lowercased()
    }
    return name
  }
}
