import Testing

@Test func placeholder_Router_buildsAndLinks() { #expect(Bool(true)) }
