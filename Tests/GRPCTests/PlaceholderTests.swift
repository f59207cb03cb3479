import Testing

@Test func placeholder_GRPC_buildsAndLinks() { #expect(Bool(true)) }
