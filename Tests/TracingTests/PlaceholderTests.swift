import Testing

@Test func placeholder_Tracing_buildsAndLinks() { #expect(Bool(true)) }
