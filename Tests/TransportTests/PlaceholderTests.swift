import Testing

@Test func placeholder_Transport_buildsAndLinks() { #expect(Bool(true)) }
