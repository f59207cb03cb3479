import Synchronization

/// Smooth weighted round robin (as nginx's upstream balancer): over any window of `sum of
/// weights` picks, each endpoint is picked exactly `weight` times, interleaved rather than in
/// bursts (weights 5,1,1 give a a b a c a a, not a a a a a b c). Thread-safe.
final class SmoothWeightedRoundRobin: Sendable {
  private let weights: [Int]
  private let totalWeight: Int
  /// Each endpoint's current weight.
  private let current: Mutex<[Int]>

  init(weights: [Int]) {
    precondition(!weights.isEmpty && weights.allSatisfy { $0 > 0 }, "weights must be positive")
    self.weights = weights
    self.totalWeight = weights.reduce(0, +)
    self.current = Mutex(Array(repeating: 0, count: weights.count))
  }

  /// The index of the next endpoint.
  func next() -> Int {
    if weights.count == 1 { return 0 }
    return current.withLock { current in
      var best = 0
      for index in weights.indices {
        current[index] += weights[index]
        if current[index] > current[best] { best = index }
      }
      current[best] -= totalWeight
      return best
    }
  }
}
