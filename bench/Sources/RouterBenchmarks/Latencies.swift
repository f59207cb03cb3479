extension Duration {
  /// The duration in microseconds, as the benchmarks' latency figures are given.
  var microseconds: Double {
    Double(components.seconds) * 1e6 + Double(components.attoseconds) / 1e12
  }
}

/// The value at fraction `p` (0...1) of `values` by nearest rank; 0 when there are none.
func percentile(_ values: [Double], _ p: Double) -> Double {
  let sorted = values.sorted()
  return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}
