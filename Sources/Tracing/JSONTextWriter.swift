import Foundation
import TextCoding

/// JSON text written value by value, for `StdoutSpanExporter`: commas come from the nesting
/// state, strings are escaped by `JSONString`.
struct JSONTextWriter {
  private(set) var output = ""
  private var needsComma: [Bool] = [false]

  private mutating func separator() {
    if needsComma[needsComma.count - 1] { output += "," }
    needsComma[needsComma.count - 1] = true
  }

  mutating func beginObject() {
    separator()
    output += "{"
    needsComma.append(false)
  }

  mutating func endObject() {
    needsComma.removeLast()
    output += "}"
  }

  mutating func beginArray() {
    separator()
    output += "["
    needsComma.append(false)
  }

  mutating func endArray() {
    needsComma.removeLast()
    output += "]"
  }

  mutating func key(_ k: String) {
    separator()
    output += JSONString.quoted(k)
    output += ":"
    // The value that follows must not add a comma.
    needsComma[needsComma.count - 1] = false
  }

  mutating func string(_ s: String) {
    separator()
    output += JSONString.quoted(s)
  }

  mutating func raw(_ text: String) {
    separator()
    output += text
  }

  mutating func number(_ d: Double) {
    raw(d.isFinite ? "\(d)" : "null")
  }

  mutating func attributes(_ attributes: some Sequence<SpanAttribute>) {
    beginObject()
    for attribute in attributes {
      key(attribute.key)
      value(attribute.value)
    }
    endObject()
  }

  mutating func value(_ v: AttributeValue) {
    switch v {
    case .string(let s): string(s)
    case .bool(let b): raw(b ? "true" : "false")
    case .int(let i): raw(String(i))
    case .double(let d): number(d)
    case .bytes(let b): string(Data(b).base64EncodedString())
    case .stringArray(let a): array(a) { $0.string($1) }
    case .boolArray(let a): array(a) { $0.raw($1 ? "true" : "false") }
    case .intArray(let a): array(a) { $0.raw(String($1)) }
    case .doubleArray(let a): array(a) { $0.number($1) }
    }
  }

  private mutating func array<T>(_ items: [T], _ each: (inout JSONTextWriter, T) -> Void) {
    beginArray()
    for item in items { each(&self, item) }
    endArray()
  }
}
