/// Headers to set and remove (ext_proc `HeaderMutation`).
///
/// Encoded with the value in `raw_value` only (Envoy 1.32+ answers 500 when both `value` and
/// `raw_value` are set). Envoy's default mutation rules refuse changes to `host`,
/// `:authority`, `:method`, `:scheme` and `x-envoy-*`.
public struct HeaderMutation: Sendable, Equatable {
  /// One header to set (`HeaderValueOption`).
  public struct SetHeader: Sendable, Equatable {
    /// The lower-case header name.
    public var name: String
    public var value: String
    /// False (the default, encoded as an unset `append`) replaces existing values; true adds
    /// one more value.
    public var append: Bool

    public init(name: String, value: String, append: Bool = false) {
      self.name = name
      self.value = value
      self.append = append
    }
  }

  /// Headers to set, in order (`set_headers`).
  public var setHeaders: [SetHeader]
  /// Names of headers to remove (`remove_headers`).
  public var removeHeaders: [String]

  public init(setHeaders: [SetHeader] = [], removeHeaders: [String] = []) {
    self.setHeaders = setHeaders
    self.removeHeaders = removeHeaders
  }

  /// True when the mutation changes nothing.
  public var isEmpty: Bool { setHeaders.isEmpty && removeHeaders.isEmpty }

  /// Adds a header to set (lower-casing `name`); `append: false` overwrites existing values.
  public mutating func set(_ name: String, _ value: String, append: Bool = false) {
    setHeaders.append(
      SetHeader(name: HTTPHeaders.lowercased(name), value: value, append: append))
  }

  /// Adds a header to remove (lower-casing `name`).
  public mutating func remove(_ name: String) {
    removeHeaders.append(HTTPHeaders.lowercased(name))
  }
}
