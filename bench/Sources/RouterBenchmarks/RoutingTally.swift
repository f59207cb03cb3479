import Router

/// A request observer that counts what the router did (routed, cache hits, immediate answers,
/// categories), for the untimed check pass before each measurement.
///
/// `@unchecked Sendable`: the benchmark drives every stream from one thread.
final class RoutingTally: RequestObserver, @unchecked Sendable {
  private(set) var routed = 0
  private(set) var cacheHits = 0
  private(set) var immediateResponses = 0
  private(set) var categories: [String: Int] = [:]

  func cacheLookupFinished(hit: Bool) {
    if hit { cacheHits += 1 }
  }

  func routed(_ record: RoutingRecord) -> [(name: String, value: String)] {
    if record.selectedModel != nil { routed += 1 }
    categories[record.category, default: 0] += 1
    return []
  }

  func immediateResponse(status: Int, reason: String, record: RoutingRecord?) {
    immediateResponses += 1
  }
}
