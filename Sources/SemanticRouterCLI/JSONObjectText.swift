import TextCoding

/// A flat JSON object written key by key, for the CLI's `--json` outputs and admin answers.
struct JSONObjectText {
  private var members: [String] = []

  mutating func add(_ key: String, _ value: String?) {
    members.append("\(JSONString.quoted(key)):\(value.map(JSONString.quoted) ?? "null")")
  }

  mutating func add(_ key: String, _ value: Double) {
    members.append("\(JSONString.quoted(key)):\(value)")
  }

  mutating func add(_ key: String, _ value: Int) {
    members.append("\(JSONString.quoted(key)):\(value)")
  }

  mutating func add(_ key: String, _ values: [String]) {
    let items = values.map(JSONString.quoted).joined(separator: ",")
    members.append("\(JSONString.quoted(key)):[\(items)]")
  }

  var text: String { "{" + members.joined(separator: ",") + "}" }
}
