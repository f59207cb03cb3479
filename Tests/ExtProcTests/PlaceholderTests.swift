import Testing

@Test func placeholder_ExtProc_buildsAndLinks() { #expect(Bool(true)) }
