import Testing

@Test func placeholder_Metrics_buildsAndLinks() { #expect(Bool(true)) }
