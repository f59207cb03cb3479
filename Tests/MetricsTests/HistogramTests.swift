import Testing

@testable import Metrics

@Suite("Histogram buckets")
struct HistogramTests {
  @Test(arguments: [
    (0.0, 0), (0.1, 0), (0.1000001, 1), (0.5, 1), (0.75, 2), (1.0, 2), (1.5, 3), (-1.0, 0),
    (Double.infinity, 3),
  ])
  func observation_landsInFirstBucketWhoseBoundIsAtLeastIt(value: Double, bucket: Int) {
    let histogram = Histogram(buckets: [0.1, 0.5, 1])
    histogram.observe(value)
    var expected = [UInt64](repeating: 0, count: 4)
    expected[bucket] = 1
    #expect(histogram.snapshot().bucketCounts == expected)
  }

  @Test func nan_isIgnored() {
    let histogram = Histogram(buckets: [1])
    histogram.observe(.nan)
    #expect(histogram.snapshot().count == 0)
  }

  @Test func durations_areRecordedInSeconds() {
    let histogram = Histogram(buckets: [0.001, 0.01])
    histogram.observe(Duration.microseconds(1500))
    let snapshot = histogram.snapshot()
    #expect(snapshot.bucketCounts == [0, 1, 0])
    #expect(abs(snapshot.sum - 0.0015) < 1e-12)
  }

  @Test func trailingInfinityBound_isImplied() {
    #expect(Histogram(buckets: [1, 2, .infinity]).upperBounds == [1, 2])
  }

  @Test func exponentialBuckets_multiplyByFactor() {
    #expect(Histogram.exponentialBuckets(start: 0.001, factor: 10, count: 3) == [0.001, 0.01, 0.1])
  }
}
