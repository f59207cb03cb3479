import Testing

@testable import TraceView

@Suite("Trace tree formatting")
struct TraceTreeFormatterTests {
  private static let trace = "4bf92f3577b34da6a3ce929d0e0e4736"
  private static let t0: UInt64 = 1_700_000_000_000_000_000

  private func span(
    _ id: String, parent: String?, service: String, name: String, start: UInt64,
    duration: UInt64, attributes: [TraceViewAttribute] = [],
    status: TraceViewSpan.StatusCode = .unset, message: String = ""
  ) -> TraceViewSpan {
    TraceViewSpan(
      traceID: Self.trace, spanID: id, parentSpanID: parent, name: name, service: service,
      startTimeUnixNano: Self.t0 + start, endTimeUnixNano: Self.t0 + start + duration,
      attributes: attributes, statusCode: status, statusMessage: message)
  }

  /// The routed request of the docs, given out of order as an exporter might.
  private var routedRequest: [TraceViewSpan] {
    let router = "vllm-semantic-router"
    return [
      span(
        "0000000000000009", parent: "0000000000000008", service: "vllm", name: "vllm.generate",
        start: 100_000_000, duration: 2_000_000_000,
        attributes: [
          TraceViewAttribute("gen_ai.usage.input_tokens", .int(12)),
          TraceViewAttribute("gen_ai.usage.output_tokens", .int(156)),
        ]),
      span(
        "0000000000000008", parent: "0000000000000003", service: router,
        name: "semantic_router.upstream.request", start: 60_000_000, duration: 2_100_000_000,
        attributes: [TraceViewAttribute("http.response.status_code", .int(200))]),
      span(
        "0000000000000001", parent: nil, service: "openai-client-example",
        name: "example_1_auto_routing", start: 0, duration: 2_310_000_000),
      span(
        "0000000000000005", parent: "0000000000000003", service: router,
        name: "semantic_router.cache.lookup", start: 10_050_000, duration: 3_000,
        attributes: [TraceViewAttribute("cache.hit", .bool(false))]),
      span(
        "0000000000000002", parent: "0000000000000001", service: "openai-client-example",
        name: "openai.chat", start: 5_000_000, duration: 2_300_000_000),
      span(
        "0000000000000004", parent: "0000000000000003", service: router,
        name: "semantic_router.classification", start: 10_000_000, duration: 45_000,
        attributes: [
          TraceViewAttribute("classifier.type", .string("keyword")),
          TraceViewAttribute("category.name", .string("science")),
          TraceViewAttribute("classification.confidence", .double(0.9312)),
        ]),
      span(
        "0000000000000003", parent: "0000000000000002", service: router,
        name: "semantic_router.request.received", start: 8_000_000, duration: 2_200_000_000),
      span(
        "0000000000000006", parent: "0000000000000003", service: router,
        name: "semantic_router.routing.decision", start: 10_060_000, duration: 12_000,
        attributes: [
          TraceViewAttribute("routing.selected_model", .string("llama-3.1-70b")),
          TraceViewAttribute("endpoint.name", .string("vllm-a")),
        ]),
    ]
  }

  @Test func routedRequest_rendersAsTheDocumentedTree() {
    #expect(
      TraceTreeFormatter.format(routedRequest) == """
        Trace 4bf92f3577b34da6a3ce929d0e0e4736 (2.31 s, 8 spans)
        └── openai-client-example  example_1_auto_routing  2.31 s
            └── openai-client-example  openai.chat  2.30 s
                └── vllm-semantic-router  semantic_router.request.received  2.20 s
                    ├── vllm-semantic-router  semantic_router.classification  45 µs  [category=science confidence=0.93]
                    ├── vllm-semantic-router  semantic_router.cache.lookup  3 µs  [cache.hit=false]
                    ├── vllm-semantic-router  semantic_router.routing.decision  12 µs  [selected_model=llama-3.1-70b endpoint=vllm-a]
                    └── vllm-semantic-router  semantic_router.upstream.request  2.10 s  [http.status=200]
                        └── vllm  vllm.generate  2.00 s  [tokens=12+156]
        """)
  }

  @Test func spansWhoseParentIsMissing_areRootsMarkedWithTheParentID() {
    let spans = [
      span(
        "00000000000000b2", parent: "00000000000000ff", service: "vllm", name: "late",
        start: 2_000, duration: 1_500_000),
      span(
        "00000000000000a1", parent: nil, service: "client", name: "root", start: 0, duration: 900),
      span(
        "00000000000000c3", parent: "00000000000000a1", service: "client", name: "child",
        start: 100, duration: 200, status: .error, message: "upstream reset"),
    ]
    #expect(
      TraceTreeFormatter.format(spans) == """
        Trace 4bf92f3577b34da6a3ce929d0e0e4736 (1.50 ms, 3 spans)
        ├── client  root  900 ns
        │   └── client  child  200 ns  [error="upstream reset"]
        └── vllm  late  1.50 ms  (parent not received: 00000000000000ff)
        """)
  }

  @Test func siblingsWithTheSameStart_areOrderedByNameThenID() {
    let spans = [
      span("0000000000000001", parent: nil, service: "s", name: "root", start: 0, duration: 10),
      span(
        "0000000000000003", parent: "0000000000000001", service: "s", name: "b", start: 5,
        duration: 1),
      span(
        "0000000000000002", parent: "0000000000000001", service: "s", name: "a", start: 5,
        duration: 1),
    ]
    let lines = TraceTreeFormatter.format(spans).split(separator: "\n")
    #expect(lines[2].hasSuffix("s  a  1 ns"))
    #expect(lines[3].hasSuffix("s  b  1 ns"))
  }

  @Test func parentCycle_stillShowsEverySpanOnce() {
    let spans = [
      span(
        "0000000000000001", parent: "0000000000000002", service: "s", name: "x", start: 0,
        duration: 1),
      span(
        "0000000000000002", parent: "0000000000000001", service: "s", name: "y", start: 1,
        duration: 1),
    ]
    #expect(
      TraceTreeFormatter.format(spans) == """
        Trace 4bf92f3577b34da6a3ce929d0e0e4736 (2 ns, 2 spans)
        └── s  x  1 ns
            └── s  y  1 ns
        """)
  }

  @Test(arguments: [
    (UInt64(0), "0 ns"), (999, "999 ns"), (1_000, "1 µs"), (45_400, "45 µs"), (999_000, "999 µs"),
    (1_234_000, "1.23 ms"), (12_340_000, "12.3 ms"), (123_400_000, "123 ms"),
    (2_306_000_000, "2.31 s"), (2_000_000_000, "2.00 s"), (75_200_000_000, "75.20 s"),
  ])
  func durations_showAboutThreeSignificantDigits(nanoseconds: UInt64, text: String) {
    #expect(TraceTreeFormatter.formatDuration(nanoseconds: nanoseconds) == text)
  }

  @Test func onlyOneTokenCount_isShownByItsName() {
    let single = span(
      "0000000000000001", parent: nil, service: "s", name: "n", start: 0, duration: 1,
      attributes: [TraceViewAttribute("gen_ai.usage.output_tokens", .int(7))])
    #expect(TraceTreeFormatter.keyAttributes(of: single) == ["output_tokens=7"])
    #expect(TraceTreeFormatter.format([single]).hasPrefix("Trace \(Self.trace) (1 ns, 1 span)\n"))
  }
}
