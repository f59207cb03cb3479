import Foundation
import Testing

@testable import Metrics

@Suite("Metrics under concurrency")
struct MetricConcurrencyTests {
  /// Runs `body(threadIndex)` on `threads` OS threads at once and waits for all of them.
  private func onThreads(_ threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<threads {
      group.enter()
      Thread.detachNewThread {
        body(index)
        group.leave()
      }
    }
    group.wait()
  }

  @Test func counter_incrementsFromManyThreads_sumExactly() {
    let registry = MetricsRegistry()
    let counter = registry.counter("hits", help: "Hits.")
    let family = registry.counter("by_thread", help: "By thread.", labelNames: ["parity"])
    onThreads(8) { index in
      let child = family.labels(index % 2 == 0 ? "even" : "odd")
      for _ in 0..<100_000 {
        counter.increment()
        child.increment()
      }
    }
    #expect(counter.value == 800_000)
    #expect(family.labels("even").value == 400_000)
    #expect(family.labels("odd").value == 400_000)
  }

  @Test func familyLookups_fromManyThreads_shareOneChildPerLabelSet() {
    let family = MetricsRegistry().counter("looked_up", help: "x", labelNames: ["k"])
    onThreads(8) { _ in
      for value in 0..<1000 {
        family.labels(String(value % 10)).increment()
      }
    }
    for value in 0..<10 {
      #expect(family.labels(String(value)).value == 800)
    }
  }

  @Test func gauge_addsFromManyThreads_exactly() {
    let gauge = Gauge()
    onThreads(8) { index in
      for _ in 0..<50_000 {
        gauge.add(index % 2 == 0 ? 2 : -1)
      }
    }
    #expect(gauge.value == 4 * 50_000 * 2 - 4 * 50_000)
  }

  @Test func histogram_observesFromManyThreads_countsAndSumStayConsistent() {
    let histogram = Histogram(buckets: [1, 2])
    onThreads(8) { index in
      for _ in 0..<20_000 {
        histogram.observe(Double(index % 3) + 0.5)
      }
    }
    let snapshot = histogram.snapshot()
    #expect(snapshot.count == 160_000)
    #expect(snapshot.bucketCounts.reduce(0, +) == 160_000)
    // Threads 0,3,6 observe 0.5; 1,4,7 observe 1.5; 2,5 observe 2.5.
    #expect(snapshot.bucketCounts == [60_000, 60_000, 40_000])
    #expect(snapshot.sum == 60_000 * 0.5 + 60_000 * 1.5 + 40_000 * 2.5)
  }
}
