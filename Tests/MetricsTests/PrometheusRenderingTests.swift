import Testing

@testable import Metrics

@Suite("Prometheus text rendering")
struct PrometheusRenderingTests {
  @Test func counters_renderWithTotalSuffixHelpAndTypeInRegistrationOrder() {
    let registry = MetricsRegistry()
    let requests = registry.counter(
      "semantic_router_requests", help: "Routed requests.",
      labelNames: ["category", "model", "outcome"])
    let hits = registry.counter("semantic_router_cache_hits_total", help: "Cache hits.")
    requests.labels("science", "llama-3.1-70b", "ok").increment(by: 3)
    requests.labels("math", "qwen", "ok").increment()
    hits.increment(by: 7)

    #expect(
      registry.renderPrometheusText() == """
        # HELP semantic_router_requests_total Routed requests.
        # TYPE semantic_router_requests_total counter
        semantic_router_requests_total{category="math",model="qwen",outcome="ok"} 1
        semantic_router_requests_total{category="science",model="llama-3.1-70b",outcome="ok"} 3
        # HELP semantic_router_cache_hits_total Cache hits.
        # TYPE semantic_router_cache_hits_total counter
        semantic_router_cache_hits_total 7

        """)
  }

  @Test func histogram_rendersCumulativeBucketsWithInfSumAndCount() {
    let registry = MetricsRegistry()
    let latency = registry.histogram(
      "classification_duration_seconds", help: "Classification latency.",
      buckets: [0.001, 0.01, 1])
    latency.observe(0.0005)
    latency.observe(0.001)
    latency.observe(0.25)
    latency.observe(4)

    #expect(
      registry.renderPrometheusText() == """
        # HELP classification_duration_seconds Classification latency.
        # TYPE classification_duration_seconds histogram
        classification_duration_seconds_bucket{le="0.001"} 2
        classification_duration_seconds_bucket{le="0.01"} 2
        classification_duration_seconds_bucket{le="1"} 3
        classification_duration_seconds_bucket{le="+Inf"} 4
        classification_duration_seconds_sum 4.2515
        classification_duration_seconds_count 4

        """)
  }

  @Test func labelledHistogram_putsLeAfterTheFamilyLabels() {
    let registry = MetricsRegistry()
    let family = registry.histogram(
      "ext_proc_message_duration_seconds", help: "Per message.", labelNames: ["kind"],
      buckets: [0.5])
    family.labels("request_headers").observe(.milliseconds(200))

    let text = registry.renderPrometheusText()
    #expect(
      text.contains(#"ext_proc_message_duration_seconds_bucket{kind="request_headers",le="0.5"} 1"#)
    )
    #expect(
      text.contains(
        #"ext_proc_message_duration_seconds_bucket{kind="request_headers",le="+Inf"} 1"#))
    #expect(text.contains(#"ext_proc_message_duration_seconds_sum{kind="request_headers"} 0.2"#))
    #expect(text.contains(#"ext_proc_message_duration_seconds_count{kind="request_headers"} 1"#))
  }

  @Test func labelValuesAndHelp_areEscaped() {
    let registry = MetricsRegistry()
    let family = registry.counter(
      "odd", help: "Back\\slash and\nnew line \"quoted\"", labelNames: ["value"])
    family.labels("a\"b\\c\nd\r\ne").increment()

    #expect(
      registry.renderPrometheusText() == #"""
        # HELP odd_total Back\\slash and\nnew line "quoted"
        # TYPE odd_total counter
        odd_total{value="a\"b\\c\nd\#r\ne"} 1

        """#)
  }

  @Test func gauge_rendersFractionsSpecialValuesAndNegatives() {
    let registry = MetricsRegistry()
    let gauge = registry.gauge("queue_fill_ratio", help: "Fill.", labelNames: ["queue"])
    gauge.labels("a").set(0.25)
    gauge.labels("b").set(-3)
    gauge.labels("c").set(.infinity)
    gauge.labels("d").set(.nan)
    gauge.labels("e").set(1e-5)
    let open = registry.gauge("open_streams", help: "Open.")
    open.increment()
    open.increment()
    open.decrement()

    #expect(
      registry.renderPrometheusText() == """
        # HELP queue_fill_ratio Fill.
        # TYPE queue_fill_ratio gauge
        queue_fill_ratio{queue="a"} 0.25
        queue_fill_ratio{queue="b"} -3
        queue_fill_ratio{queue="c"} +Inf
        queue_fill_ratio{queue="d"} NaN
        queue_fill_ratio{queue="e"} 1e-05
        # HELP open_streams Open.
        # TYPE open_streams gauge
        open_streams 1

        """)
  }

  @Test func unusedLabelledFamily_isLeftOut() {
    let registry = MetricsRegistry()
    _ = registry.counter("unused", help: "Nobody.", labelNames: ["x"])
    _ = registry.counter("zero", help: "Zero.")
    #expect(
      registry.renderPrometheusText() == """
        # HELP zero_total Zero.
        # TYPE zero_total counter
        zero_total 0

        """)
  }

  @Test func collectors_renderAtCollectTimeWithCurrentValues() {
    let registry = MetricsRegistry()
    let source = Counter()
    registry.registerCollector {
      [
        .counter("spans_exported", help: "Exported spans.", value: Double(source.value)),
        MetricFamilySnapshot(
          name: "export_failures", help: "Failed exports.",
          series: .counter([
            LabelledSample(labels: [MetricLabel("reason", "unavailable")], value: 2)
          ])),
        .histogram(
          "export_duration_seconds", help: "Export latency.",
          value: HistogramSnapshot(
            upperBounds: [0.01, 0.1], bucketCounts: [1, 0, 1], sum: 5.005, count: 2)),
      ]
    }
    source.increment(by: 41)
    source.increment()

    #expect(
      registry.renderPrometheusText() == """
        # HELP spans_exported_total Exported spans.
        # TYPE spans_exported_total counter
        spans_exported_total 42
        # HELP export_failures_total Failed exports.
        # TYPE export_failures_total counter
        export_failures_total{reason="unavailable"} 2
        # HELP export_duration_seconds Export latency.
        # TYPE export_duration_seconds histogram
        export_duration_seconds_bucket{le="0.01"} 1
        export_duration_seconds_bucket{le="0.1"} 1
        export_duration_seconds_bucket{le="+Inf"} 2
        export_duration_seconds_sum 5.005
        export_duration_seconds_count 2

        """)
  }

  @Test(arguments: [
    (0.0, "0"), (1.0, "1"), (-0.0, "0"), (0.005, "0.005"), (2.5, "2.5"), (1e15, "1000000000000000"),
    (1e300, "1e+300"),
    (123456789.0, "123456789"),
  ])
  func values_formatAsPrometheusReadsThem(value: Double, text: String) {
    #expect(PrometheusTextFormat.formatValue(value) == text)
  }
}
