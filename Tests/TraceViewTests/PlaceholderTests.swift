import Testing

@Test func placeholder_TraceView_buildsAndLinks() { #expect(Bool(true)) }
