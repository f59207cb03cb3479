import Router

/// CPU per request of the router's stages on their own, over the benchmark's bodies: OpenAI
/// parsing, classification (with the cache vector when the cache is on), the cache lookup (a
/// miss in the full cache) and the `model` rewrite. What the whole exchange costs beyond their
/// sum is the ext_proc handler: protobuf decoding and encoding, the state machine, headers and
/// the response side.
struct RouterStageCosts {
  let router: SemanticRouter
  let bodies: [[UInt8]]

  /// Microseconds of CPU per request for each stage, over `count` requests.
  func measure(_ count: Int) throws -> [String: Double] {
    let requests = try bodies.map { try OpenAIRequest.parse($0, endpoint: .chatCompletions) }
    var costs: [String: Double] = [:]
    var sink = 0

    costs["parse"] = perRequest(count) { index in
      let request = try? OpenAIRequest.parse(bodies[index], endpoint: .chatCompletions)
      sink &+= request?.messages.count ?? 0
    }
    let classifications = requests.map { router.classify($0) }
    costs["classify"] = perRequest(count) { index in
      sink &+= router.classify(requests[index]).category.utf8.count
    }
    if let cache = router.cache {
      let keys = requests.map { router.cacheKey(model: "bench", request: $0) }
      // Fill the bucket the lookups scan with the other bodies' vectors.
      for index in requests.indices.dropFirst(requests.count - cache.settings.maxEntries) {
        cache.store(
          key: keys[index], vector: classifications[index].vector,
          response: CachedResponse(body: [], contentType: "application/json"))
      }
      let probes = requests.count - cache.settings.maxEntries
      costs["cache_lookup"] = perRequest(count) { index in
        let probe = index % max(probes, 1)
        if cache.lookup(key: keys[probe], vector: classifications[probe].vector) != nil {
          sink &+= 1
        }
      }
    }
    costs["rewrite_model"] = perRequest(count) { index in
      sink &+= requests[index].rewritingModel(in: bodies[index], to: "llama-3.1-70b").count
    }
    if sink == 42 { print("") }  // keeps the results alive
    return costs
  }

  /// Wall-time p50 and p99 of one classification in microseconds, each body once, in a pass of
  /// its own so the clock reads stay out of the CPU figures.
  func classificationLatency() throws -> (p50: Double, p99: Double) {
    let requests = try bodies.map { try OpenAIRequest.parse($0, endpoint: .chatCompletions) }
    var sink = 0
    let latencies = requests.map { request in
      let started = ContinuousClock.now
      sink &+= router.classify(request).category.utf8.count
      return (ContinuousClock.now - started).microseconds
    }
    if sink == 42 { print("") }  // keeps the results alive
    return (percentile(latencies, 0.50), percentile(latencies, 0.99))
  }

  private func perRequest(_ count: Int, _ work: (Int) -> Void) -> Double {
    let start = CPUTime.now()
    var index = 0
    for _ in 0..<count {
      work(index)
      index += 1
      if index == bodies.count { index = 0 }
    }
    return CPUTime.now().since(start) / Double(count)
  }
}
