import Testing

@testable import Tracing

@Suite("span attributes storage")
struct SpanAttributesTests {
  @Test func set_readsBackEveryValueKindInOrder() {
    var attributes = SpanAttributes()
    let expected: [SpanAttribute] = [
      SpanAttribute("s", "héllo wörld"), SpanAttribute("", ""), SpanAttribute("b", true),
      SpanAttribute("i", .int(-42)), SpanAttribute("d", 0.125),
      SpanAttribute("sa", .stringArray(["x", ""])), SpanAttribute("ba", .boolArray([true])),
      SpanAttribute("ia", .intArray([1, .max])), SpanAttribute("da", .doubleArray([-1.5])),
      SpanAttribute("bytes", .bytes([0, 255, 0])),
    ]
    for attribute in expected {
      let stored = attributes.set(attribute.key, attribute.value)
      #expect(stored)
    }
    #expect(Array(attributes) == expected)
  }

  @Test func set_existingKey_replacesTheValueInPlace() {
    var attributes: SpanAttributes = [
      SpanAttribute("category.name", "math"), SpanAttribute("endpoint.name", "a"),
    ]
    // Same key length as the first key: the lookup must compare the bytes, not the length.
    attributes.set("endpoint.name", .int(7))
    attributes.set("category.name", .stringArray(["law"]))
    attributes.set("category.name", "science")
    #expect(
      attributes == [SpanAttribute("category.name", "science"), SpanAttribute("endpoint.name", 7)])
  }

  @Test func set_beyondTheCountLimit_dropsNewKeysButStillReplaces() {
    var attributes = SpanAttributes()
    let stored = [
      attributes.set("a", 1, countLimit: 2), attributes.set("b", 2, countLimit: 2),
      attributes.set("c", 3, countLimit: 2), attributes.set("a", "x", countLimit: 2),
    ]
    #expect(stored == [true, true, false, true])
    #expect(attributes == [SpanAttribute("a", "x"), SpanAttribute("b", 2)])
  }

  @Test func copy_isNotChangedByWritesToTheOriginal() {
    var original: SpanAttributes = [SpanAttribute("k", "v")]
    let copy = original
    original.set("k", "changed")
    original.set("new", true)
    #expect(copy == [SpanAttribute("k", "v")])
    #expect(original == [SpanAttribute("k", "changed"), SpanAttribute("new", true)])
  }

  @Test func manyAttributes_growTheStorage() {
    var attributes = SpanAttributes(minimumCapacity: 2)
    let long = String(repeating: "é", count: 300)
    for i in 0..<200 { attributes.set("key.\(i)", .string("\(i)\(long)")) }
    #expect(attributes.count == 200)
    #expect(attributes[0] == SpanAttribute("key.0", .string("0\(long)")))
    #expect(attributes[199] == SpanAttribute("key.199", .string("199\(long)")))
  }

  @Test func replacingOverAndOver_staysBounded() {
    var attributes: SpanAttributes = [SpanAttribute("first", 1)]
    let value = String(repeating: "v", count: 100)
    for i in 0..<10_000 { attributes.set("k", .string("\(i % 10)\(value)")) }
    let textBytes = attributes.withEntries { _, text, _ in text.count }
    #expect(textBytes < 2_000)
    #expect(attributes == [SpanAttribute("first", 1), SpanAttribute("k", .string("9\(value)"))])
  }

  @Test func entries_pointAtNULTerminatedText() {
    let attributes: SpanAttributes = [SpanAttribute("url.path", "/v1/chat"), SpanAttribute("n", 3)]
    attributes.withEntries { entries, text, _ in
      #expect(entries.count == 2)
      let key = Int(entries[0].keyOffset)
      #expect(text[key + Int(entries[0].keyLength)] == 0)
      #expect(text[entries[0].stringOffset + entries[0].stringLength] == 0)
      #expect(String(decoding: text[key..<key + 8], as: UTF8.self) == "url.path")
      #expect(entries[1].kind == .int && entries[1].payload == 3)
    }
  }
}

@Suite("span attributes storage, boxed values and growth")
struct SpanAttributesBoxedTests {
  @Test func replacingABoxedValue_reusesItsSlot() {
    var attributes = SpanAttributes()
    for i in 0..<10_000 { attributes.set("k", .intArray([Int64(i)])) }
    #expect(attributes.withEntries { _, _, boxed in boxed.count } == 1)
    #expect(attributes == [SpanAttribute("k", .intArray([9_999]))])
  }

  @Test func alternatingBoxedAndScalarValues_staysBounded() {
    var attributes: SpanAttributes = [SpanAttribute("first", "x")]
    for i in 0..<10_000 {
      attributes.set("k", i.isMultiple(of: 2) ? .stringArray(["\(i)"]) : .int(Int64(i)))
    }
    #expect(attributes.withEntries { _, _, boxed in boxed.count } < 40)
    #expect(attributes == [SpanAttribute("first", "x"), SpanAttribute("k", 9_999)])
  }

  @Test func boxedValues_surviveTheCopyThatGrowsTheStorage() {
    var attributes: SpanAttributes = [
      SpanAttribute("a", .stringArray(["x"])), SpanAttribute("b", .bytes([1, 2])),
    ]
    attributes.set("a", 1)  // leaves an unused box behind
    let shared = attributes
    for i in 0..<30 { attributes.set("key.\(i)", .doubleArray([Double(i)])) }
    #expect(attributes.count == 32)
    #expect(attributes[0] == SpanAttribute("a", 1))
    #expect(attributes[1] == SpanAttribute("b", .bytes([1, 2])))
    #expect(attributes[31] == SpanAttribute("key.29", .doubleArray([29])))
    #expect(shared == [SpanAttribute("a", 1), SpanAttribute("b", .bytes([1, 2]))])
  }

  @Test func subscriptOutOfRange_traps() async {
    await #expect(processExitsWith: .failure) {
      let attributes: SpanAttributes = [SpanAttribute("only", 1)]
      _ = attributes[1]
    }
  }
}
