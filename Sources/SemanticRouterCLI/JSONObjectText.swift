/// A flat JSON object written key by key, for the CLI's `--json` outputs.
struct JSONObjectText {
  private var members: [String] = []

  mutating func add(_ key: String, _ value: String?) {
    members.append("\(Self.quoted(key)):\(value.map(Self.quoted) ?? "null")")
  }

  mutating func add(_ key: String, _ value: Double) {
    members.append("\(Self.quoted(key)):\(value)")
  }

  var text: String { "{" + members.joined(separator: ",") + "}" }

  private static func quoted(_ string: String) -> String {
    var out = "\""
    for scalar in string.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
