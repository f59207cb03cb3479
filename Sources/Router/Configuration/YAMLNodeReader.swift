import Yams

/// Reads typed values out of a composed YAML tree by key path, collecting every problem (with its
/// line) instead of stopping at the first one.
///
/// Each accessor returns nil after recording an issue when the node has the wrong shape, so the
/// caller can keep going and report the rest of the file too.
final class YAMLNodeReader {
  private(set) var issues: [ConfigurationIssue] = []

  /// Records a problem at `path`, located by `node`'s mark when there is one.
  func fail(_ path: String, _ node: Node?, _ message: String) {
    let mark = node?.mark
    issues.append(
      ConfigurationIssue(path: path, line: mark?.line, column: mark?.column, message: message))
  }

  /// Records a problem located at an explicit line (used for problems found after parsing).
  func fail(_ path: String, line: Int?, column: Int?, _ message: String) {
    issues.append(ConfigurationIssue(path: path, line: line, column: column, message: message))
  }

  /// A mapping's values by key; reports unknown keys (with a suggestion), duplicate keys and
  /// non-string keys.
  func mapping(_ node: Node, at path: String, keys allowed: [String]) -> [String: Node]? {
    guard case .mapping(let mapping) = node else {
      fail(path, node, "expected a mapping, found \(Self.kind(of: node))")
      return nil
    }
    var result: [String: Node] = [:]
    for (key, value) in mapping {
      guard case .scalar(let scalar) = key else {
        fail(path, key, "mapping keys must be plain strings")
        continue
      }
      let name = scalar.string
      let childPath = Self.join(path, name)
      guard allowed.contains(name) else {
        var message = "unknown key '\(name)'"
        if let guess = Self.closest(to: name, in: allowed) {
          message += " (did you mean '\(guess)'?)"
        }
        fail(childPath, key, message)
        continue
      }
      if result[name] != nil {
        fail(childPath, key, "duplicate key '\(name)'")
        continue
      }
      result[name] = value
    }
    return result
  }

  /// The items of a sequence.
  func sequence(_ node: Node, at path: String) -> [Node]? {
    guard case .sequence(let sequence) = node else {
      fail(path, node, "expected a list, found \(Self.kind(of: node))")
      return nil
    }
    return Array(sequence)
  }

  /// A non-null scalar's text (numbers and booleans written unquoted are accepted as text).
  func string(_ node: Node, at path: String) -> String? {
    guard case .scalar(let scalar) = node, node.tag.rawValue != Tag.Name.null.rawValue else {
      fail(path, node, "expected a string, found \(Self.kind(of: node))")
      return nil
    }
    return scalar.string
  }

  /// A non-empty string.
  func nonEmptyString(_ node: Node, at path: String) -> String? {
    guard let value = string(node, at: path) else { return nil }
    if value.isEmpty {
      fail(path, node, "must not be empty")
      return nil
    }
    return value
  }

  /// `true` or `false`.
  func bool(_ node: Node, at path: String) -> Bool? {
    guard node.tag.rawValue == Tag.Name.bool.rawValue, let value = node.bool else {
      fail(path, node, "expected true or false, found \(Self.kind(of: node))")
      return nil
    }
    return value
  }

  /// An integer within `range`.
  func int(_ node: Node, at path: String, in range: ClosedRange<Int>) -> Int? {
    guard node.tag.rawValue == Tag.Name.int.rawValue, let value = node.int else {
      fail(path, node, "expected an integer, found \(Self.kind(of: node))")
      return nil
    }
    guard range.contains(value) else {
      fail(path, node, "must be between \(range.lowerBound) and \(range.upperBound), is \(value)")
      return nil
    }
    return value
  }

  /// A number (integer or decimal) within `range`.
  func double(_ node: Node, at path: String, in range: ClosedRange<Double>) -> Double? {
    let tag = node.tag.rawValue
    guard tag == Tag.Name.int.rawValue || tag == Tag.Name.float.rawValue,
      let value = node.float, value.isFinite
    else {
      fail(path, node, "expected a number, found \(Self.kind(of: node))")
      return nil
    }
    guard range.contains(value) else {
      fail(path, node, "must be between \(range.lowerBound) and \(range.upperBound), is \(value)")
      return nil
    }
    return value
  }

  /// A string, or a list of strings (`category: "math"` or `category: ["math", "science"]`).
  func stringOrStringList(_ node: Node, at path: String) -> [String]? {
    if case .sequence = node {
      return stringList(node, at: path)
    }
    return nonEmptyString(node, at: path).map { [$0] }
  }

  /// A list of non-empty strings.
  func stringList(_ node: Node, at path: String) -> [String]? {
    guard let items = sequence(node, at: path) else { return nil }
    var result: [String] = []
    var ok = true
    for (index, item) in items.enumerated() {
      if let value = nonEmptyString(item, at: "\(path)[\(index)]") {
        result.append(value)
      } else {
        ok = false
      }
    }
    return ok ? result : nil
  }

  /// A duration: a number of seconds, or a string with a unit (`"500ms"`, `"10s"`, `"2m"`).
  func duration(_ node: Node, at path: String) -> Duration? {
    let tag = node.tag.rawValue
    if tag == Tag.Name.int.rawValue || tag == Tag.Name.float.rawValue {
      guard let seconds = double(node, at: path, in: 0...86_400) else { return nil }
      return .milliseconds(Int64((seconds * 1000).rounded()))
    }
    guard let text = string(node, at: path) else { return nil }
    let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
    for (suffix, millisecondsPerUnit) in units where text.hasSuffix(suffix) {
      if let amount = Double(text.dropLast(suffix.count)), amount >= 0, amount <= 86_400_000 {
        return .milliseconds(Int64((amount * millisecondsPerUnit).rounded()))
      }
      break
    }
    fail(path, node, "expected a duration such as 500ms, 10s or 2m, found '\(text)'")
    return nil
  }

  // MARK: - Helpers

  /// `parent.child`, or `child` at the root.
  static func join(_ path: String, _ key: String) -> String {
    path.isEmpty ? key : "\(path).\(key)"
  }

  /// How a node reads in an error message.
  static func kind(of node: Node) -> String {
    switch node {
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    case .alias: return "an alias"
    case .scalar(let scalar):
      switch node.tag.rawValue {
      case Tag.Name.null.rawValue: return "null"
      case Tag.Name.bool.rawValue: return "a boolean (\(scalar.string))"
      case Tag.Name.int.rawValue, Tag.Name.float.rawValue: return "a number (\(scalar.string))"
      default: return "a string ('\(scalar.string)')"
      }
    }
  }

  /// The allowed key within edit distance 2 of `key`, if any (typo suggestions).
  static func closest(to key: String, in allowed: [String]) -> String? {
    var best: (String, Int)?
    for candidate in allowed {
      let distance = editDistance(Array(key.utf8), Array(candidate.utf8))
      if distance <= 2, distance < (best?.1 ?? .max) { best = (candidate, distance) }
    }
    return best?.0
  }

  private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var previous = Array(0...b.count)
    for i in 1...a.count {
      var current = [i] + Array(repeating: 0, count: b.count)
      for j in 1...b.count {
        let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
        current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
      }
      previous = current
    }
    return previous[b.count]
  }
}
