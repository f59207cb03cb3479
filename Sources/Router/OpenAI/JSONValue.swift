import TextCoding

/// A parsed JSON document as a tree, with members kept in order, for the response shapes the
/// router reads and writes whole (Responses and Messages answers, their events, translated
/// answers). The request path does not use it: it reads bodies in one pass with `JSONScanner`.
public indirect enum JSONValue: Sendable, Equatable {
  /// One member of an object.
  public struct Member: Sendable, Equatable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
      self.key = key
      self.value = value
    }
  }

  case null
  case bool(Bool)
  /// A number as written (so it is copied exactly).
  case number(String)
  case string(String)
  case array([JSONValue])
  case object([Member])

  /// An integer number.
  public static func int(_ value: Int) -> JSONValue { .number(String(value)) }

  /// Parses one JSON document; nil when the bytes are not JSON.
  public static func parse(_ bytes: [UInt8]) -> JSONValue? {
    bytes.withUnsafeBufferPointer { buffer -> JSONValue? in
      var scanner = JSONScanner(buffer)
      guard let value = try? read(&scanner, depth: 0), (try? scanner.expectEnd()) != nil else {
        return nil
      }
      return value
    }
  }

  private static func read(_ scanner: inout JSONScanner, depth: Int) throws -> JSONValue {
    guard depth < JSONScanner.maximumDepth else { throw scanner.error("nesting too deep") }
    switch scanner.peek() {
    case UInt8(ascii: "{"):
      var members: [Member] = []
      if try scanner.beginObject() {
        repeat {
          let key = try scanner.readKey()
          let raw = UnsafeBufferPointer(rebasing: scanner.bytes[key.range])
          let name = key.decoded ?? String(decoding: raw, as: UTF8.self)
          members.append(Member(name, try read(&scanner, depth: depth + 1)))
        } while try scanner.nextOrEnd(UInt8(ascii: "}"))
      }
      return .object(members)
    case UInt8(ascii: "["):
      var elements: [JSONValue] = []
      if try scanner.beginArray() {
        repeat {
          elements.append(try read(&scanner, depth: depth + 1))
        } while try scanner.nextOrEnd(UInt8(ascii: "]"))
      }
      return .array(elements)
    case UInt8(ascii: "\""):
      return .string(try scanner.readStringIfPresent() ?? "")
    case UInt8(ascii: "n"):
      _ = try scanner.readNullIfPresent()
      return .null
    case UInt8(ascii: "t"), UInt8(ascii: "f"):
      return .bool(try scanner.readBoolIfPresent() ?? false)
    default:
      let start = scanner.index
      try scanner.skipValue(depth: depth)
      let text = UnsafeBufferPointer(rebasing: scanner.bytes[start..<scanner.index])
      return .number(String(decoding: text, as: UTF8.self))
    }
  }

  // MARK: - Reading

  /// The value of `key` in an object (the last one when it repeats); nil otherwise.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.last { $0.key == key }?.value
  }

  public var stringValue: String? {
    if case .string(let text) = self { return text }
    return nil
  }

  public var intValue: Int? {
    if case .number(let text) = self { return Int(text) }
    return nil
  }

  public var arrayValue: [JSONValue]? {
    if case .array(let elements) = self { return elements }
    return nil
  }

  // MARK: - Writing

  /// The JSON text, compact, members in order.
  public var serialized: [UInt8] {
    var output: [UInt8] = []
    write(to: &output)
    return output
  }

  public func write(to output: inout [UInt8]) {
    switch self {
    case .null: output.append(contentsOf: "null".utf8)
    case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
    case .number(let text): output.append(contentsOf: text.utf8)
    case .string(let text): JSONString.append(text, to: &output)
    case .array(let elements):
      output.append(UInt8(ascii: "["))
      for (index, element) in elements.enumerated() {
        if index > 0 { output.append(UInt8(ascii: ",")) }
        element.write(to: &output)
      }
      output.append(UInt8(ascii: "]"))
    case .object(let members):
      output.append(UInt8(ascii: "{"))
      for (index, member) in members.enumerated() {
        if index > 0 { output.append(UInt8(ascii: ",")) }
        JSONString.append(member.key, to: &output)
        output.append(UInt8(ascii: ":"))
        member.value.write(to: &output)
      }
      output.append(UInt8(ascii: "}"))
    }
  }
}
